import YAML

/// Valid compose that Berth does not act on gets a warning naming the key, never silence.
enum UnsupportedKeys {
    /// Service keys Berth carries through `config` but does not apply, with why.
    static let serviceKeys: [String: String] = [
        "blkio_config": "block I/O weights are not applied",
        "build": "images are not built yet; the image must exist or be pullable",
        "cpu_count": "a Windows-only setting",
        "cpu_percent": "a Windows-only setting",
        "cpu_rt_period": "real-time CPU scheduling is not applied",
        "cpu_rt_runtime": "real-time CPU scheduling is not applied",
        "credential_spec": "a Windows-only setting",
        "develop": "watch mode is not supported yet",
        "external_links": "links to containers outside the project are not supported",
        "gpus": "GPU devices are not passed through",
        "isolation": "a Windows-only setting",
        "models": "AI models are not supported",
        "post_start": "lifecycle hooks are not run",
        "pre_start": "lifecycle hooks are not run",
        "pre_stop": "lifecycle hooks are not run",
        "provider": "provider services are not supported",
        "runtime": "Berth runs containers with its own runtime",
        "storage_opt": "storage options are not applied",
        "use_api_socket": "there is no Docker API socket to mount",
    ]

    static let deployKeys: [String: String] = [
        "placement": "a swarm setting",
        "update_config": "a swarm setting",
        "rollback_config": "a swarm setting",
        "endpoint_mode": "a swarm setting",
    ]

    static func warnings(for document: YAMLNode, project: Project) -> [ComposeError] {
        var warnings: [ComposeError] = []
        func warn(_ key: YAMLNode, _ path: String, _ why: String) {
            warnings.append(ComposeError(.unsupported, at: key.location, path: path, "not acted on: \(why)"))
        }
        for pair in document["services"]?.mappingPairs ?? [] {
            let name = pair.key.scalarText ?? ""
            guard project.services[name] != nil else { continue }
            for field in pair.value.mappingPairs ?? [] {
                let key = field.key.scalarText ?? ""
                if let why = serviceKeys[key] {
                    warn(field.key, "services.\(name).\(key)", why)
                }
                if key == "deploy" {
                    for deployField in field.value.mappingPairs ?? [] {
                        let deployKey = deployField.key.scalarText ?? ""
                        if let why = deployKeys[deployKey] {
                            warn(deployField.key, "services.\(name).deploy.\(deployKey)", why)
                        }
                    }
                }
            }
        }
        if let models = document.mappingPairs?.first(where: { $0.key.scalarText == "models" }) {
            warn(models.key, "models", "AI models are not supported")
        }
        for section in ["networks", "volumes"] {
            for pair in document[section]?.mappingPairs ?? [] {
                guard let driver = pair.value["driver"], let text = driver.scalarText else { continue }
                let supported = section == "networks" ? ["bridge"] : ["local"]
                if !supported.contains(text) {
                    warn(driver, "\(section).\(pair.key.scalarText ?? "").driver",
                         "driver \"\(text)\" is not available; Berth uses \(supported[0])")
                }
            }
        }
        return warnings
    }
}
