//! `--compose FILE`: the services of a docker-compose project, the names
//! they answer to on its networks, and the ports they listen on inside
//! their containers.

use std::collections::{BTreeSet, HashMap};

use yaml_rust2::{Yaml, YamlLoader};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Service {
    pub name: String,
    /// Container-side ports from `expose` and `ports`.
    pub ports: BTreeSet<u16>,
    pub image: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Project {
    pub services: Vec<Service>,
    /// Every name that resolves on the project's networks (service names,
    /// network aliases, `container_name`, `hostname`) → service index.
    pub names: HashMap<String, usize>,
}

impl Project {
    pub fn parse(text: &str) -> Result<Project, String> {
        let docs = YamlLoader::load_from_str(text).map_err(|e| e.to_string())?;
        let Some(doc) = docs.first() else {
            return Err("the file is empty".into());
        };
        let services = doc["services"].as_hash().ok_or("it has no `services:`")?;
        let mut project = Project::default();
        for (name, spec) in services {
            let Some(name) = name.as_str() else { continue };
            let index = project.services.len();
            let mut service = Service {
                name: name.to_string(),
                image: spec["image"].as_str().map(String::from),
                ..Service::default()
            };
            project.names.insert(name.to_string(), index);
            for key in ["container_name", "hostname"] {
                if let Some(alias) = spec[key].as_str() {
                    project.names.insert(alias.to_string(), index);
                }
            }
            if let Some(networks) = spec["networks"].as_hash() {
                for (_, network) in networks {
                    for alias in network["aliases"].as_vec().into_iter().flatten() {
                        if let Some(alias) = alias.as_str() {
                            project.names.insert(alias.to_string(), index);
                        }
                    }
                }
            }
            for port in spec["expose"].as_vec().into_iter().flatten() {
                service
                    .ports
                    .extend(scalar(port).and_then(|p| container_port(&p)));
            }
            for port in spec["ports"].as_vec().into_iter().flatten() {
                let target = match port {
                    Yaml::Hash(_) => scalar(&port["target"]),
                    other => scalar(other).and_then(|p| container_port(&p).map(|p| p.to_string())),
                };
                service
                    .ports
                    .extend(target.and_then(|p| container_port(&p)));
            }
            project.services.push(service);
        }
        Ok(project)
    }

    /// The ports a service listens on: its own list, else what its image is
    /// known to listen on.
    pub fn listens(&self, service: &Service) -> BTreeSet<u16> {
        if !service.ports.is_empty() {
            return service.ports.clone();
        }
        service
            .image
            .as_deref()
            .and_then(image_default_port)
            .into_iter()
            .collect()
    }
}

fn scalar(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        _ => None,
    }
}

/// The container side of `8080`, `8080:80`, `127.0.0.1:8080:80/tcp`,
/// `3000-3001` (the first).
fn container_port(spec: &str) -> Option<u16> {
    let spec = spec.split('/').next().unwrap_or(spec);
    let last = spec.rsplit(':').next().unwrap_or(spec);
    last.split('-').next()?.trim().parse().ok()
}

/// What well-known images listen on when the file does not say.
fn image_default_port(image: &str) -> Option<u16> {
    let name = image.rsplit('/').next().unwrap_or(image);
    let (repo, tag) = name.split_once(':').unwrap_or((name, ""));
    Some(match repo {
        "php" | "wordpress" if tag.contains("fpm") => 9000,
        "nginx" | "httpd" | "wordpress" | "php" | "traefik" | "caddy" => 80,
        "postgres" | "postgis" => 5432,
        "mysql" | "mariadb" => 3306,
        "redis" | "valkey" => 6379,
        "memcached" => 11211,
        "mongo" => 27017,
        "grafana" | "gitea" => 3000,
        "prometheus" => 9090,
        "elasticsearch" | "opensearch" => 9200,
        "rabbitmq" => 5672,
        "jenkins" | "keycloak" | "adminer" => 8080,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_names_and_ports() {
        let project = Project::parse(
            "services:\n  api:\n    image: example/api\n    expose: [\"8000\"]\n    networks:\n      back:\n        aliases: [api-internal]\n  web:\n    image: nginx:1.27\n    ports:\n      - \"127.0.0.1:8080:80/tcp\"\n      - target: 443\n        published: 8443\n  db:\n    image: postgres:16\n    container_name: shop-db\n",
        )
        .unwrap();
        assert_eq!(project.services.len(), 3);
        assert_eq!(project.names["api-internal"], 0);
        assert_eq!(project.names["shop-db"], 2);
        assert_eq!(project.services[1].ports, [80, 443].into_iter().collect());
        assert_eq!(
            project.listens(&project.services[2]),
            [5432].into_iter().collect()
        );
        assert!(Project::parse("version: '3'\n").is_err());
    }
}
