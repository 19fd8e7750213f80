// swift-tools-version:6.0
import PackageDescription

/// The numeric targets are compiled with optimization in every configuration:
/// `swift run ChapterNN` builds debug, and unoptimized numeric Swift is 10-50x slower.
/// Exclusivity checks are compiled out of these targets: their inner loops touch class
/// properties element by element, and the run-time check would cost more than the work.
let optimizedEverywhere: [SwiftSetting] = [.unsafeFlags(["-O", "-enforce-exclusivity=unchecked"])]

let package = Package(
    name: "NeuralNLPCourse",
    products: [
        .library(name: "NeuralKit", targets: ["NeuralKit"]),
        .library(name: "TextData", targets: ["TextData"]),
        .library(name: "FigureKit", targets: ["FigureKit"]),
        .library(name: "NGram", targets: ["NGram"]),
        .executable(name: "Chapter01", targets: ["Chapter01"]),
        .executable(name: "Chapter03", targets: ["Chapter03"]),
        .executable(name: "Chapter04", targets: ["Chapter04"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // MARK: - System libraries
        .systemLibrary(
            name: "CGraphviz", path: "Sources/CGraphviz", pkgConfig: "libgvc",
            providers: [.apt(["libgraphviz-dev"])]),
        .systemLibrary(
            name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),

        // MARK: - Library
        .target(name: "NeuralKit", dependencies: ["CBLAS"], swiftSettings: optimizedEverywhere),
        .target(name: "TextData", resources: [.copy("Samples")], swiftSettings: optimizedEverywhere),
        .target(name: "FigureKit", dependencies: ["CGraphviz", "NeuralKit"]),
        .target(name: "NGram", dependencies: ["TextData"], swiftSettings: optimizedEverywhere),
        .target(
            name: "ChapterKit",
            dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")]),

        // MARK: - Chapters
        .executableTarget(
            name: "Chapter01",
            dependencies: [
                "NeuralKit", "TextData", "FigureKit", "ChapterKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Chapters/Chapter01",
            swiftSettings: optimizedEverywhere),
        .executableTarget(
            name: "Chapter03",
            dependencies: [
                "NGram", "TextData", "NeuralKit", "ChapterKit", "FigureKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Chapters/Chapter03",
            swiftSettings: optimizedEverywhere),
        .executableTarget(
            name: "Chapter04",
            dependencies: [
                "NeuralKit", "TextData", "NGram", "FigureKit", "ChapterKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Chapters/Chapter04",
            swiftSettings: optimizedEverywhere),

        // MARK: - Tests
        .testTarget(name: "NeuralKitTests", dependencies: ["NeuralKit"]),
        .testTarget(name: "TextDataTests", dependencies: ["TextData"]),
        .testTarget(name: "FigureKitTests", dependencies: ["FigureKit", "NeuralKit"]),
        .testTarget(name: "Chapter01Tests", dependencies: ["Chapter01", "NeuralKit", "TextData"]),
        .testTarget(name: "Chapter03Tests", dependencies: ["Chapter03", "NGram", "TextData"]),
        .testTarget(name: "Chapter04Tests", dependencies: ["Chapter04", "NeuralKit", "TextData"]),
    ]
)
