import Foundation
import YAML

/// What loading adds to what the files say: `env_file` and `label_file` contents and values of
/// value-less environment entries, always; with `addDefaults` (what `--no-normalize` turns
/// off), the default network and the names of networks, volumes, secrets and configs.
enum Normalization {
    static func apply(to project: inout Project, document: YAMLNode, addDefaults: Bool) throws(ComposeError) {
        var usesDefaultNetwork = false
        for name in project.services.keys.sorted() {
            guard var service = project.services[name] else { continue }
            if addDefaults && service.networkMode == nil && (service.networks ?? [:]).isEmpty {
                service.networks = ["default": nil]
            }
            if service.networks?.keys.contains("default") == true { usesDefaultNetwork = true }
            try readEnvFiles(into: &service, project: project, document: document)
            try readLabelFiles(into: &service, document: document)
            // A pre_start hook without an image runs in the service's image (compose-go does so).
            if let image = service.image, let hooks = service.preStart {
                service.preStart = hooks.map { hook in
                    var hook = hook
                    if hook.image == nil { hook.image = image }
                    return hook
                }
            }
            if let environment = service.environment {
                for (key, value) in environment where value == nil {
                    if let fromProject = project.environment[key] { service.environment?[key] = .some(fromProject) }
                }
            }
            project.services[name] = service
        }
        guard addDefaults else { return }
        if usesDefaultNetwork && project.networks["default"] == nil {
            project.networks["default"] = NetworkDefinition()
        }
        for (key, var network) in project.networks where network.name == nil {
            network.name = network.external == true ? key : "\(project.name)_\(key)"
            project.networks[key] = network
        }
        for (key, var volume) in project.volumes where volume.name == nil {
            volume.name = volume.external == true ? key : "\(project.name)_\(key)"
            project.volumes[key] = volume
        }
        for (key, var secret) in project.secrets where secret.name == nil && secret.external != true {
            secret.name = "\(project.name)_\(key)"
            project.secrets[key] = secret
        }
        for (key, var config) in project.configs where config.name == nil && config.external != true {
            config.name = "\(project.name)_\(key)"
            project.configs[key] = config
        }
    }

    /// `env_file` contents become `environment` entries; the service's own entries win.
    private static func readEnvFiles(into service: inout Service, project: Project,
                                     document: YAMLNode) throws(ComposeError) {
        guard let files = service.envFile, !files.isEmpty else { return }
        var fromFiles: [String: String?] = [:]
        for (index, file) in files.enumerated() {
            let path = ["services", service.name, "env_file", "\(index)"]
            guard FileManager.default.fileExists(atPath: file.path) else {
                if !file.isRequired { continue }
                throw ComposeError(.notFound, at: document.locate(path), path: "services.\(service.name).env_file[\(index)]",
                                   "env file \(file.path) not found")
            }
            if let format = file.format, format != "raw" {
                throw ComposeError(.invalidValue, at: document.locate(path), path: "services.\(service.name).env_file[\(index)]",
                                   "unknown env_file format \"\(format)\" (expected raw, or omit it)")
            }
            if file.format == "raw" {
                guard let data = FileManager.default.contents(atPath: file.path),
                      let text = String(data: data, encoding: .utf8) else {
                    throw ComposeError(.io, at: document.locate(path), path: "services.\(service.name).env_file[\(index)]",
                                       "cannot read env file \(file.path) as UTF-8 text")
                }
                for line in text.split(separator: "\n") {
                    let entry = EnvironmentEntry.parse(String(line))
                    fromFiles[entry.key] = .some(entry.value)
                }
                continue
            }
            let lookup = { (key: String) -> String? in
                (fromFiles[key] ?? nil) ?? project.environment[key]
            }
            for (key, value) in try ProjectEnvironment.readDotEnv(file.path, lookup: lookup) {
                fromFiles[key] = .some(value)
            }
        }
        service.environment = fromFiles.merging(service.environment ?? [:]) { _, own in own }
    }

    /// `label_file` contents become `labels`; the service's own labels win.
    private static func readLabelFiles(into service: inout Service, document: YAMLNode) throws(ComposeError) {
        guard let files = service.labelFile, !files.isEmpty else { return }
        var fromFiles: [String: String] = [:]
        for (index, file) in files.enumerated() {
            guard FileManager.default.fileExists(atPath: file) else {
                throw ComposeError(.notFound, at: document.locate(["services", service.name, "label_file"]),
                                   path: "services.\(service.name).label_file[\(index)]", "label file \(file) not found")
            }
            for (key, value) in try ProjectEnvironment.readDotEnv(file, lookup: { _ in nil }) {
                fromFiles[key] = value
            }
        }
        service.labels = fromFiles.merging(service.labels ?? [:]) { _, own in own }
    }
}
