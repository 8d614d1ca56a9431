import Engine
import Foundation

/// The last lines a container printed, for error messages (`up --wait`): from docker's json-file
/// logs under `<data>/containers/<id>/` when they are there (each line `{"log": …}`), else from
/// the plain `console.log` detached containers write.
enum ContainerLogTail {
    static func lines(of id: String, locations: EngineLocations, count: Int) -> [String] {
        if LocalEngine.logDriver(id, locations: locations) == "journald" {
            return LocalEngine.logSource(id, locations: locations).readAll().suffix(count).map { $0.text.trimmingCharacters(in: .newlines) }
        }
        let directory = locations.data + "/containers/" + id
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        if let json = names.filter({ $0.hasSuffix("json.log") }).sorted().first,
           let text = try? String(contentsOfFile: directory + "/" + json, encoding: .utf8) {
            let lines = text.split(separator: "\n").suffix(count * 4).compactMap { line -> String? in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
                return (object["log"] as? String)?.trimmingCharacters(in: .newlines)
            }
            return Array(lines.suffix(count))
        }
        guard let text = try? String(contentsOfFile: directory + "/console.log", encoding: .utf8) else { return [] }
        return text.split(separator: "\n", omittingEmptySubsequences: true).suffix(count).map(String.init)
    }
}
