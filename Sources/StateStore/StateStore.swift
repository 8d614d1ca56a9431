import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#endif

/// The durable record of what Berth created: containers (with their config hashes and exit
/// codes), networks and volumes, in SQLite through GRDB, in WAL mode so readers (`ps`, `ls`)
/// never wait for a writer. Every change is one transaction, so a `berth` killed at any moment
/// leaves the last committed state, which the next command reconciles with what runs.
public final class StateStore: Sendable {
    /// The database file.
    public let path: String
    private let pool: DatabasePool

    /// Opens (creating and migrating) the store at `path`; its directory is created if missing.
    public init(path: String) throws(StateError) {
        self.path = path
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            var configuration = Configuration()
            // A second berth process may hold the write lock for a moment (two projects at once).
            configuration.busyMode = .timeout(5)
            pool = try DatabasePool(path: path, configuration: configuration)
            // Two commands that meet a new or older database would both see a migration missing
            // and both run it (GRDB checks before its transaction): the second would fail on
            // "table already exists". Migrating under an exclusive file lock serializes them;
            // the check first keeps the lock out of every command but the first after an upgrade.
            if try !pool.read({ db in try Self.migrator.hasCompletedMigrations(db) }) {
                let lock = open(path + ".migrate.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
                defer { if lock >= 0 { close(lock) } }
                if lock >= 0 { while flock(lock, LOCK_EX) != 0 && errno == EINTR {} }
                try Self.migrator.migrate(pool)
                // The read above may have left a reader connection holding statements and schema
                // of the tables as they were before another process migrated them (a second command
                // meeting a new database): readers start afresh on the migrated schema.
                pool.invalidateReadOnlyConnections()
            }
        } catch {
            throw StateError(.open, path, "cannot open the state database: \(error)")
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: ContainerRecord.databaseTableName) { table in
                table.primaryKey("id", .text)
                table.column("name", .text).notNull().unique()
                table.column("project", .text).notNull().indexed()
                table.column("service", .text).notNull()
                table.column("number", .integer).notNull()
                table.column("oneoff", .boolean).notNull()
                table.column("image", .text).notNull()
                table.column("imageID", .text).notNull()
                table.column("configHash", .text).notNull()
                table.column("labels", .jsonText).notNull()
                table.column("recordedConfig", .jsonText).notNull()
                table.column("state", .text).notNull()
                table.column("pid", .integer)
                table.column("exitCode", .integer)
                table.column("restartCount", .integer).notNull()
                table.column("createdAt", .datetime).notNull()
                table.column("startedAt", .datetime)
                table.column("finishedAt", .datetime)
            }
            try db.create(table: NetworkRecord.databaseTableName) { table in
                table.primaryKey("name", .text)
                table.column("project", .text).notNull().indexed()
                table.column("driver", .text).notNull()
                table.column("subnet", .text)
                table.column("gateway", .text)
                table.column("isInternal", .boolean).notNull()
                table.column("isExternal", .boolean).notNull()
                table.column("labels", .jsonText).notNull()
                table.column("createdAt", .datetime).notNull()
            }
            try db.create(table: VolumeRecord.databaseTableName) { table in
                table.primaryKey("name", .text)
                table.column("project", .text).notNull().indexed()
                table.column("driver", .text).notNull()
                table.column("mountpoint", .text).notNull()
                table.column("isExternal", .boolean).notNull()
                table.column("labels", .jsonText).notNull()
                table.column("createdAt", .datetime).notNull()
            }
        }
        migrator.registerMigration("published-ports-v1") { db in
            try db.alter(table: ContainerRecord.databaseTableName) { table in
                table.add(column: "publishedPorts", .jsonText).notNull().defaults(to: "[]")
            }
        }
        migrator.registerMigration("networks-v1") { db in
            try db.alter(table: ContainerRecord.databaseTableName) { table in
                table.add(column: "networks", .jsonText).notNull().defaults(to: "[]")
            }
            try db.alter(table: NetworkRecord.databaseTableName) { table in
                table.add(column: "bridge", .text)
                table.add(column: "ipRange", .text)
            }
            try db.create(table: LeaseRecord.databaseTableName) { table in
                table.column("network", .text).notNull()
                table.column("address", .text).notNull()
                table.column("owner", .text).notNull()
                table.column("container", .text)
                table.column("updatedAt", .datetime).notNull()
                table.primaryKey(["network", "address"])
            }
        }
        migrator.registerMigration("networks-ipv6-v1") { db in
            try db.alter(table: NetworkRecord.databaseTableName) { table in
                table.add(column: "subnet6", .text)
                table.add(column: "gateway6", .text)
            }
        }
        migrator.registerMigration("port-bindings-v1") { db in
            try db.alter(table: ContainerRecord.databaseTableName) { table in
                table.add(column: "portBindings", .jsonText).notNull().defaults(to: "[]")
            }
        }
        // The supervisor (issue 7): what the user stopped, health, and how to supervise.
        migrator.registerMigration("supervisor-v1") { db in
            try db.alter(table: ContainerRecord.databaseTableName) { table in
                table.add(column: "stoppedByUser", .boolean).notNull().defaults(to: false)
                table.add(column: "health", .text)
                table.add(column: "healthFailingStreak", .integer).notNull().defaults(to: 0)
                table.add(column: "healthLog", .jsonText).notNull().defaults(to: "[]")
                table.add(column: "supervision", .text)
            }
        }
        // Append-only, read by `berth events`; kept to the newest `eventLimit` rows by `append`.
        migrator.registerMigration("events-v1") { db in
            try db.create(table: EventRecord.databaseTableName) { table in
                table.autoIncrementedPrimaryKey("sequence")
                table.column("time", .datetime).notNull()
                table.column("project", .text).notNull().indexed()
                table.column("container", .text).notNull()
                table.column("name", .text).notNull()
                table.column("service", .text).notNull()
                table.column("action", .text).notNull()
                table.column("attributes", .jsonText).notNull()
            }
        }
        // The supervisor's back-off, so a replacement supervisor continues it.
        migrator.registerMigration("supervisor-backoff-v1") { db in
            try db.alter(table: ContainerRecord.databaseTableName) { table in
                table.add(column: "restartDelay", .double)
            }
        }
        // More than one IPv4 ipam.config entry per network (issue 5).
        migrator.registerMigration("networks-pools-v1") { db in
            try db.alter(table: NetworkRecord.databaseTableName) { table in
                table.add(column: "morePools", .jsonText).notNull().defaults(to: "[]")
            }
        }
        return migrator
    }

    /// Whether the database runs in write-ahead-log mode (it always should).
    public func journalMode() throws(StateError) -> String {
        try read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }

    // MARK: containers

    public func containers(project: String) throws(StateError) -> [ContainerRecord] {
        try read { db in
            try ContainerRecord.filter(Column("project") == project).order(Column("service"), Column("number")).fetchAll(db)
        }
    }

    public func container(id: String) throws(StateError) -> ContainerRecord? {
        try read { db in try ContainerRecord.fetchOne(db, key: id) }
    }

    /// The container called `name` in any project (names are unique engine-wide, as docker's).
    public func container(named name: String) throws(StateError) -> ContainerRecord? {
        try read { db in try ContainerRecord.filter(Column("name") == name).fetchOne(db) }
    }

    /// Inserts or replaces a container's record.
    public func save(_ container: ContainerRecord) throws(StateError) {
        try write { db in try container.save(db) }
    }

    /// Records the ports the forwarder bound for container `id`; nothing when the container is gone.
    public func recordPublishedPorts(id: String, _ ports: [PublishedPortRecord]) throws(StateError) {
        try write { db in
            guard var container = try ContainerRecord.fetchOne(db, key: id) else { return }
            container.publishedPorts = ports
            try container.update(db)
        }
    }

    /// Changes one container's record in one transaction (read, `change`, write), so concurrent
    /// writers (the CLI and the supervisor) never overwrite each other's fields. Returns the
    /// record as written, or nil when there is no such container.
    @discardableResult
    public func updateContainer(id: String, _ change: @Sendable (inout ContainerRecord) -> Void) throws(StateError) -> ContainerRecord? {
        try write { db in
            guard var container = try ContainerRecord.fetchOne(db, key: id) else { return nil }
            change(&container)
            try container.update(db)
            return container
        }
    }

    public func removeContainer(id: String) throws(StateError) {
        try write { db in _ = try ContainerRecord.deleteOne(db, key: id) }
    }

    /// Records an exit: the code, the time, and the state `exited`.
    public func recordExit(id: String, code: Int, at time: Date = Date()) throws(StateError) {
        try write { db in
            guard var container = try ContainerRecord.fetchOne(db, key: id) else { return }
            container.state = .exited
            container.exitCode = code
            container.pid = nil
            container.finishedAt = time
            try container.update(db)
        }
    }

    // MARK: networks and volumes

    public func networks(project: String) throws(StateError) -> [NetworkRecord] {
        try read { db in try NetworkRecord.filter(Column("project") == project).order(Column("name")).fetchAll(db) }
    }

    /// The network named `name`, whatever project made it (external networks are shared).
    public func network(name: String) throws(StateError) -> NetworkRecord? {
        try read { db in try NetworkRecord.fetchOne(db, key: name) }
    }

    /// Every network, for choosing a subnet no other network has.
    public func allNetworks() throws(StateError) -> [NetworkRecord] {
        try read { db in try NetworkRecord.order(Column("name")).fetchAll(db) }
    }

    public func save(_ network: NetworkRecord) throws(StateError) {
        try write { db in try network.save(db) }
    }

    public func removeNetwork(name: String) throws(StateError) {
        try write { db in _ = try NetworkRecord.deleteOne(db, key: name) }
    }

    public func volumes(project: String) throws(StateError) -> [VolumeRecord] {
        try read { db in try VolumeRecord.filter(Column("project") == project).order(Column("name")).fetchAll(db) }
    }

    public func save(_ volume: VolumeRecord) throws(StateError) {
        try write { db in try volume.save(db) }
    }

    public func removeVolume(name: String) throws(StateError) {
        try write { db in _ = try VolumeRecord.deleteOne(db, key: name) }
    }

    // MARK: events

    /// How many events the store keeps; older ones are dropped as new ones arrive.
    public static let eventLimit = 10_000

    /// Appends `event` and returns it with its sequence number.
    @discardableResult
    public func append(_ event: EventRecord) throws(StateError) -> EventRecord {
        try write { db in
            var event = event
            try event.insert(db)
            if let sequence = event.sequence, sequence % 1000 == 0 {
                try db.execute(sql: "DELETE FROM event WHERE sequence <= ?", arguments: [sequence - Int64(Self.eventLimit)])
            }
            return event
        }
    }

    /// Events after `sequence` (all when nil), oldest first, of `project` when given.
    public func events(after sequence: Int64? = nil, project: String? = nil) throws(StateError) -> [EventRecord] {
        try read { db in
            var request = EventRecord.order(Column("sequence"))
            if let sequence { request = request.filter(Column("sequence") > sequence) }
            if let project { request = request.filter(Column("project") == project) }
            return try request.fetchAll(db)
        }
    }

    /// The sequence number of the newest event, nil when there is none.
    public func lastEventSequence() throws(StateError) -> Int64? {
        try read { db in try Int64.fetchOne(db, sql: "SELECT MAX(sequence) FROM event") }
    }

    // MARK: projects

    /// Every project with containers, with a count of its containers per state (`berth ls`).
    public func projects() throws(StateError) -> [ProjectSummary] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT project, state, COUNT(*) AS count FROM container GROUP BY project, state ORDER BY project
                """)
            var summaries: [String: ProjectSummary] = [:]
            for row in rows {
                let name: String = row["project"]
                let state = ContainerRecord.State(rawValue: row["state"]) ?? .dead
                summaries[name, default: ProjectSummary(name: name, states: [:])].states[state] = row["count"]
            }
            for name in summaries.keys {
                let labels = try ContainerRecord.filter(Column("project") == name).fetchOne(db)?.labels ?? [:]
                summaries[name]?.workingDirectory = labels["com.docker.compose.project.working_dir"]
                summaries[name]?.configFiles = labels["com.docker.compose.project.config_files"]
            }
            return summaries.keys.sorted().compactMap { summaries[$0] }
        }
    }

    // MARK: access

    func read<T>(_ body: (Database) throws -> T) throws(StateError) -> T {
        do { return try pool.read(body) } catch { throw StateError(.query, path, "\(error)") }
    }

    func write<T>(_ body: (Database) throws -> T) throws(StateError) -> T {
        do { return try pool.write(body) } catch { throw StateError(.query, path, "\(error)") }
    }
}
