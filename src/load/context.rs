//! Where a file's directives live in nginx's block structure. A file that is
//! included gets the context of its `include`; a snippet linted on its own
//! (`server { … }` in `sites-available/`) gets the context its first
//! directives imply, so it is never judged as if it stood at the top.

use crate::syntax::{NodeIndex, ParsedFile};

/// The chain of enclosing block names, outermost first: `[]` is the main
/// context, `["http", "server"]` a server block.
pub type Context = Vec<Box<str>>;

pub fn context_name(context: &[Box<str>]) -> String {
    if context.is_empty() {
        "main".into()
    } else {
        context.join(" > ")
    }
}

const MAIN_ONLY: &[&str] = &[
    "http",
    "events",
    "stream",
    "mail",
    "user",
    "worker_processes",
    "pid",
    "load_module",
    "worker_rlimit_nofile",
    "daemon",
    "master_process",
    "include_modules",
    "env",
];
const HTTP_LEVEL: &[&str] = &[
    "server",
    "upstream",
    "map",
    "geo",
    "split_clients",
    "log_format",
    "proxy_cache_path",
    "limit_req_zone",
    "limit_conn_zone",
    "types",
    "server_names_hash_bucket_size",
    "fastcgi_cache_path",
    "uwsgi_cache_path",
    "variables_hash_max_size",
];
const SERVER_LEVEL: &[&str] = &[
    "location",
    "listen",
    "server_name",
    "ssl_certificate",
    "ssl_certificate_key",
    "return",
];
const LOCATION_LEVEL: &[&str] = &[
    "proxy_pass",
    "fastcgi_pass",
    "uwsgi_pass",
    "scgi_pass",
    "grpc_pass",
    "memcached_pass",
    "try_files",
    "alias",
    "fastcgi_param",
    "fastcgi_split_path_info",
    "proxy_set_header",
];

/// The context a stand-alone file's first telling directive implies.
pub fn infer(tree: &ParsedFile, text: &str) -> Context {
    for (_, node) in tree.directives(&tree.roots) {
        let name = tree.value(text, &node.name);
        let chain: &[&str] = if MAIN_ONLY.contains(&name) {
            &[]
        } else if HTTP_LEVEL.contains(&name) {
            &["http"]
        } else if SERVER_LEVEL.contains(&name) {
            &["http", "server"]
        } else if LOCATION_LEVEL.contains(&name) {
            &["http", "server", "location"]
        } else {
            continue;
        };
        return chain.iter().map(|s| Box::from(*s)).collect();
    }
    Vec::new()
}

/// The context inside the block chain enclosing `node` in its file, given
/// the context the file itself sits in.
pub fn at_node(
    tree: &ParsedFile,
    text: &str,
    node: NodeIndex,
    file_context: &[Box<str>],
) -> Context {
    let mut names = Vec::new();
    let mut current = tree.node(node).parent;
    while let Some(index) = current {
        let parent = tree.node(index);
        names.push(Box::from(tree.value(text, &parent.name)));
        current = parent.parent;
    }
    let mut context: Context = file_context.to_vec();
    context.extend(names.into_iter().rev());
    context
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;
    use crate::syntax::nginx;

    fn inferred(text: &str) -> String {
        context_name(&infer(&nginx::parse(FileId(0), text), text))
    }

    #[test]
    fn snippets_get_the_context_they_belong_to() {
        assert_eq!(inferred("# site\nserver { listen 80; }"), "http");
        assert_eq!(
            inferred("location / { proxy_pass http://a; }"),
            "http > server"
        );
        assert_eq!(
            inferred("proxy_set_header Host $host;"),
            "http > server > location"
        );
        assert_eq!(inferred("user www-data; http {}"), "main");
        assert_eq!(inferred("unknown_thing 1;"), "main");
    }

    #[test]
    fn context_at_a_nested_node() {
        let text = "server { location / { include x; } }";
        let tree = nginx::parse(FileId(0), text);
        let include = tree
            .nodes
            .iter()
            .position(|n| n.name.span.start == 22)
            .unwrap() as u32;
        let ctx = at_node(&tree, text, include, &["http".into()]);
        assert_eq!(context_name(&ctx), "http > server > location");
    }
}
