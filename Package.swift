// swift-tools-version:6.1
import PackageDescription

// Layers (see DESIGN.md): C → foundation → pure → mechanism → top.
// A target imports only targets in lower layers.
let package = Package(
    name: "Berth",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "berth", targets: ["berth"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // C
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CSeccomp", pkgConfig: "libseccomp", providers: [.apt(["libseccomp-dev"])]),
        // The container monitor/init: C, single-threaded, exec'd by Runtime (see its README).
        .executableTarget(name: "berth-init", path: "Sources/CBerthInit",
                          cSettings: [.unsafeFlags(["-O2", "-Wall", "-Wextra"])],
                          // SwiftPM links every executable with the Swift runtime. Statically, and
                          // with the two symbols swiftrt.o needs stubbed in berth-init.c, none of it
                          // is linked: a 1 MB binary with 870 KiB resident per container monitor.
                          linkerSettings: [.unsafeFlags(["-static-executable"])]),

        // foundation
        .target(name: "YAML", dependencies: ["CYAML"]),
        .target(name: "OCISpec"),
        .target(name: "SystemSupport"),

        // pure
        .target(name: "ComposeSpec", dependencies: [
            "YAML",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // mechanism
        .target(name: "Runtime", dependencies: ["OCISpec", "SystemSupport", "CSeccomp"]),

        // top
        .target(name: "Commands", dependencies: [
            "ComposeSpec", "YAML", "OCISpec", "Runtime",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "berth", dependencies: ["Commands"]),

        // tests
        .testTarget(name: "YAMLTests", dependencies: ["YAML"]),
        .testTarget(name: "ComposeSpecTests", dependencies: ["ComposeSpec", "YAML"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "CommandsTests", dependencies: ["Commands", "ComposeSpec"]),
        // Fixtures (the probe's C source) are compiled by the tests with `cc -static`, not by SwiftPM.
        .testTarget(name: "RuntimeTests", dependencies: ["Runtime", "OCISpec", "SystemSupport"],
                    exclude: ["Fixtures"]),
    ]
)
