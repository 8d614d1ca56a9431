/// Translation of OCI mount options to mount(2) flags, propagation flags and filesystem data.
public struct MountOptions: Sendable, Hashable {
    public var flags: UInt
    public var propagation: UInt
    public var data: [String]

    // linux/mount.h values; stable kernel ABI.
    static let rdonly: UInt = 1, nosuid: UInt = 2, nodev: UInt = 4, noexec: UInt = 8, synchronous: UInt = 16
    static let dirsync: UInt = 128, noatime: UInt = 1024, nodiratime: UInt = 2048, bind: UInt = 4096
    static let rec: UInt = 16384, unbindable: UInt = 1 << 17, privateFlag: UInt = 1 << 18, slave: UInt = 1 << 19
    static let shared: UInt = 1 << 20, relatime: UInt = 1 << 21, strictatime: UInt = 1 << 24

    static let setting: [String: UInt] = [
        "ro": rdonly, "nosuid": nosuid, "nodev": nodev, "noexec": noexec, "sync": synchronous, "dirsync": dirsync,
        "noatime": noatime, "nodiratime": nodiratime, "bind": bind, "rbind": bind | rec, "relatime": relatime,
        "strictatime": strictatime,
    ]
    static let clearing: [String: UInt] = [
        "rw": rdonly, "suid": nosuid, "dev": nodev, "exec": noexec, "async": synchronous, "atime": noatime,
        "diratime": nodiratime, "norelatime": relatime, "nostrictatime": strictatime,
    ]
    static let propagationOptions: [String: UInt] = [
        "private": privateFlag, "rprivate": privateFlag | rec, "shared": shared, "rshared": shared | rec,
        "slave": slave, "rslave": slave | rec, "unbindable": unbindable, "runbindable": unbindable | rec,
    ]

    /// Parses a mount's options; anything that is not a flag is filesystem data (`size=64k`).
    public init(_ options: [String]) {
        flags = 0
        propagation = 0
        data = []
        for option in options {
            if let bit = Self.setting[option] { flags |= bit }
            else if let bit = Self.clearing[option] { flags &= ~bit }
            else if let bit = Self.propagationOptions[option] { propagation = bit }
            else { data.append(option) }
        }
    }

    /// The propagation flags of `linux.rootfsPropagation`, or nil for an unknown value.
    public static func rootPropagation(_ value: String) -> UInt? { propagationOptions[value] }
}
