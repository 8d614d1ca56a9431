// swift-tools-version:6.1
import PackageDescription

// Layers (see DESIGN.md): C → foundation → pure → mechanism → top.
// A target imports only targets in lower layers.
let package = Package(
    name: "Berth",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "berth", targets: ["berth"]),
        .executable(name: "berth-init", targets: ["berth-init"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // C
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CSeccomp", pkgConfig: "libseccomp", providers: [.apt(["libseccomp-dev"])]),
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .systemLibrary(name: "CLinuxShim"),
        // The container monitor/init: C, single-threaded, exec'd by Runtime (see its README).
        .executableTarget(name: "berth-init", path: "Sources/CBerthInit", exclude: ["README.md"],
                          cSettings: [.unsafeFlags(["-O2", "-Wall", "-Wextra"])],
                          // SwiftPM links every executable with the Swift runtime. Statically, and
                          // with the two symbols swiftrt.o needs stubbed in berth-init.c, none of it
                          // is linked: a 1 MB binary with 870 KiB resident per container monitor.
                          linkerSettings: [.unsafeFlags(["-static-executable"])]),

        // foundation
        .target(name: "YAML", dependencies: ["CYAML"], exclude: ["README.md"]),
        .target(name: "OCISpec", exclude: ["README.md"]),
        .target(name: "SystemSupport", dependencies: ["CLinuxShim"], exclude: ["README.md"]),

        // pure
        .target(name: "ComposeSpec", dependencies: [
            "YAML",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ], exclude: ["README.md"]),

        .target(name: "EngineAPI", exclude: ["README.md"]),
        .target(name: "SystemdUnits", dependencies: ["ComposeSpec"], exclude: ["README.md"]),
        .target(name: "Reconciler", dependencies: [
            "ComposeSpec", "EngineAPI", "YAML",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ], exclude: ["README.md"]),

        // mechanism
        .target(name: "Runtime", dependencies: ["OCISpec", "SystemSupport", "CSeccomp"], exclude: ["README.md"]),
        .target(name: "Images", dependencies: [
            "OCISpec", "CArchive",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ], exclude: ["README.md"]),
        .target(name: "StateStore", dependencies: [.product(name: "GRDB", package: "GRDB.swift")],
                exclude: ["README.md"]),
        .target(name: "Networking", dependencies: ["SystemSupport", "CLinuxShim"], path: "Sources/Networking",
                exclude: ["README.md"]),
        .target(name: "Supervisor", dependencies: [
            "CSystemd", "CLinuxShim",
            .product(name: "Logging", package: "swift-log"),
        ], exclude: ["README.md"]),

        // top
        .target(name: "Engine", dependencies: ["EngineAPI", "Runtime", "Images", "StateStore", "OCISpec", "SystemSupport", "Networking",
                                               "Supervisor", "CLinuxShim", "CSystemd"],
                exclude: ["README.md"]),
        .target(name: "Commands", dependencies: [
            "ComposeSpec", "YAML", "OCISpec", "Runtime", "Images",
            "Engine", "Reconciler", "EngineAPI", "StateStore", "SystemdUnits", "Supervisor", "Networking",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ], exclude: ["README.md", "Runtime/README.md"]),
        .executableTarget(name: "berth", dependencies: ["Commands"]),
        // Drives the forwarder and the DNS server for Benchmarks/network.sh; not a product.
        .executableTarget(name: "berth-netbench", dependencies: ["Networking"], exclude: ["README.md"]),

        // tests
        .testTarget(name: "YAMLTests", dependencies: ["YAML"]),
        .testTarget(name: "ComposeSpecTests", dependencies: ["ComposeSpec", "YAML"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "OCISpecTests", dependencies: ["OCISpec"]),
        .testTarget(name: "ImagesTests", dependencies: [
            "Images", "OCISpec", "CArchive",
            .product(name: "Crypto", package: "swift-crypto"),
        ], exclude: ["Fixtures"]),
        // Fixtures (the probe's C source) are compiled by the tests with `cc -static`, not by SwiftPM.
        .testTarget(name: "RuntimeTests", dependencies: ["Runtime", "OCISpec", "SystemSupport"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "ReconcilerTests", dependencies: ["Reconciler", "EngineAPI", "ComposeSpec"],
                    exclude: ["Golden"]),
        .testTarget(name: "StateStoreTests", dependencies: ["StateStore", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "NetworkingTests", dependencies: ["Networking", "SystemSupport"]),
        .testTarget(name: "SupervisorTests", dependencies: ["Supervisor", "SystemSupport"]),
        .testTarget(name: "SystemdUnitsTests", dependencies: ["SystemdUnits", "ComposeSpec"], exclude: ["Golden"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "EngineAPI", "OCISpec", "SystemSupport", "Reconciler", "ComposeSpec",
                                                        "Networking", "Supervisor", "Images"]),
        .testTarget(name: "CommandsTests", dependencies: ["Commands", "ComposeSpec", "Images", "OCISpec", "SystemdUnits", "Engine", "EngineAPI", "StateStore"],
                    exclude: ["Golden"]),
    ]
)
