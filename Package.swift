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

        // foundation
        .target(name: "YAML", dependencies: ["CYAML"]),
        .target(name: "OCISpec"),

        // pure
        .target(name: "ComposeSpec", dependencies: [
            "YAML",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ], exclude: ["README.md"]),

        .target(name: "EngineAPI", exclude: ["README.md"]),
        .target(name: "Reconciler", dependencies: [
            "ComposeSpec", "EngineAPI", "YAML",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ], exclude: ["README.md"]),

        // top
        .target(name: "Commands", dependencies: [
            "ComposeSpec", "YAML",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "berth", dependencies: ["Commands"]),

        // tests
        .testTarget(name: "YAMLTests", dependencies: ["YAML"]),
        .testTarget(name: "ComposeSpecTests", dependencies: ["ComposeSpec", "YAML"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ReconcilerTests", dependencies: ["Reconciler", "EngineAPI", "ComposeSpec"],
                    exclude: ["Golden"]),
        .testTarget(name: "CommandsTests", dependencies: ["Commands", "ComposeSpec"], exclude: ["Golden"]),
    ]
)
