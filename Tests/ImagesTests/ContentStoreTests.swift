import Foundation
import Testing
import OCISpec
@testable import Images

@Suite("Content store")
struct ContentStoreTests {
    @Test("a blob is visible only after it is complete and verified")
    func transactionalIngest() throws {
        let scratch = try TemporaryDirectory()
        let store = try ContentStore(root: scratch.path("images"))
        let payload = Data(repeating: 7, count: 300_000)
        let expected = Descriptor(mediaType: .ociLayerTar, digest: ContentStore.digest(of: payload), size: Int64(payload.count))

        let writer = try store.writer(expected: expected)
        try writer.write(payload.prefix(1000))
        #expect(!store.hasBlob(expected.digest), "half-written blob must not be visible")
        try writer.write(payload.dropFirst(1000))
        let stored = try writer.commit()

        #expect(stored.digest == expected.digest)
        #expect(try store.readBlob(expected.digest) == payload)
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.ingestDirectory.path).isEmpty)
    }

    @Test("content that does not hash to its descriptor is refused and nothing is stored")
    func wrongDigest() throws {
        let scratch = try TemporaryDirectory()
        let store = try ContentStore(root: scratch.path("images"))
        let claimed = Descriptor(mediaType: .ociLayerTar, digest: ContentStore.digest(of: Data("good".utf8)), size: 4)
        let writer = try store.writer(expected: claimed)
        try writer.write(Data("evil".utf8))
        let error = #expect(throws: ImageError.self) { try writer.commit() }
        #expect(error?.code == .digestMismatch)
        #expect(!store.hasBlob(claimed.digest))
        #expect(store.allBlobs().isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.ingestDirectory.path).isEmpty)
    }

    @Test("a blob longer than its descriptor is cut off as soon as it overflows")
    func tooLong() throws {
        let scratch = try TemporaryDirectory()
        let store = try ContentStore(root: scratch.path("images"))
        let claimed = Descriptor(mediaType: .ociLayerTar, digest: ContentStore.digest(of: Data("abc".utf8)), size: 3)
        let writer = try store.writer(expected: claimed)
        let error = #expect(throws: ImageError.self) { try writer.write(Data("abcd".utf8)) }
        #expect(error?.code == .sizeMismatch)
        #expect(!store.hasBlob(claimed.digest))
    }

    @Test("an interrupted write resumes from where it stopped")
    func resume() throws {
        let scratch = try TemporaryDirectory()
        let store = try ContentStore(root: scratch.path("images"))
        let payload = Data((0..<100_000).map { UInt8($0 % 251) })
        let expected = Descriptor(mediaType: .ociLayerTar, digest: ContentStore.digest(of: payload), size: Int64(payload.count))
        do {
            let first = try store.writer(expected: expected)
            try first.write(payload.prefix(40_000))
        }  // dropped without commit, as a killed pull would
        let second = try store.writer(expected: expected)
        #expect(second.offset == 40_000)
        let concurrent = try store.writer(expected: expected)
        #expect(concurrent.offset == 0, "a second writer while the first is active gets a private file, not the partial")
        try second.write(payload.dropFirst(40_000))
        #expect(try second.commit().digest == expected.digest)
        #expect(try store.readBlob(expected.digest) == payload)
    }
}
