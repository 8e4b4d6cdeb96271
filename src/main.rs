fn main() -> std::process::ExitCode {
    gatelint::cli::main()
}
