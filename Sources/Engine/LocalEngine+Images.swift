import EngineAPI
import Foundation
import Images
import OCISpec

extension LocalEngine {
    /// Registry images follow `policy`; the offline transports (`oci:`, `oci-archive:`,
    /// `docker-archive:`) are imported every time, whatever the policy: the source is local, the
    /// store is content-addressed (an unchanged image adds nothing), and a rebuilt archive is
    /// then picked up as `docker compose` picks up a rebuilt image.
    public func ensureImage(_ reference: String, policy: ImagePullPolicy) async throws(EngineError) -> String {
        let object = "image \(reference)"
        let source: ImageSource
        do { source = try ImageSource(parsing: reference) } catch {
            throw EngineError(.imageUnavailable, object: object, error.message)
        }
        guard case .registry(let name) = source else {
            let imported: [ImageRecord]
            do { imported = try images.importImages(from: source) } catch {
                throw EngineError(.imageUnavailable, object: object, error.message)
            }
            guard let record = imported.first else {
                throw EngineError(.imageUnavailable, object: object, "the source holds no image for this platform")
            }
            return try imageID(record, object: object)
        }
        let local = try? images.resolve(name.description)
        if let local, policy != .always { return try imageID(local, object: object) }
        if local == nil && policy == .never {
            throw EngineError(.imageUnavailable, object: object, "not present locally and the pull policy is never: pull it first (`berth pull`)")
        }
        let record: ImageRecord
        do { record = try await ImagePuller(store: images).pull(name) } catch {
            throw EngineError(.imageUnavailable, object: object, error.description)
        }
        return try imageID(record, object: object)
    }

    public func removeImage(_ reference: String) async throws(EngineError) {
        let inUse = Set(try allContainers().compactMap { try? Digest(parsing: $0.imageID) })
        do { _ = try images.remove(reference, inUse: inUse) } catch {
            switch error.code {
            case .imageNotFound: return
            case .inUse: throw EngineError(.conflict, object: "image \(reference)", error.message)
            default: throw EngineError(.failed, object: "image \(reference)", error.message)
            }
        }
    }

    func imageDetails(_ text: String, object: String) throws(EngineError) -> ImageDetails {
        do { return try images.details(try images.resolve(text)) } catch {
            throw EngineError(.imageUnavailable, object: object, "\(error.message) (ensureImage makes it present)")
        }
    }

    private func imageID(_ record: ImageRecord, object: String) throws(EngineError) -> String {
        do { return try images.details(record).id.description } catch {
            throw EngineError(.imageUnavailable, object: object, error.message)
        }
    }
}
