// swift-tools-version:6.0
import PackageDescription

/// The numeric targets are compiled with optimization in every configuration:
/// `swift run ChapterNN` builds debug, and unoptimized numeric Swift is 10-50x slower.
/// Exclusivity checks are compiled out of these targets: their inner loops touch class
/// properties element by element, and the run-time check would cost more than the work.
let optimizedEverywhere: [SwiftSetting] = [.unsafeFlags(["-O", "-enforce-exclusivity=unchecked"])]

/// The C kernels: optimized, never contracting a multiply and an add into a fused
/// multiply-add (the exact kernels' bits must not depend on the CPU). Building with
/// NEURALKIT_NO_AVX512=1 in the environment compiles the AVX-512 paths out (CI checks
/// that the package still builds and passes its kernel tests that way).
var kernelSettings: [CSetting] = [.unsafeFlags(["-O2", "-ffp-contract=off", "-fno-math-errno"])]
if Context.environment["NEURALKIT_NO_AVX512"] != nil { kernelSettings.append(.define("CK_NO_AVX512")) }

/// Platform libraries: OpenBLAS and glibc's malloc tuning on Linux and other non-Apple
/// systems; Apple platforms use Accelerate for BLAS and keep their own malloc.
let notApple = TargetDependencyCondition.when(platforms: [Platform.linux, .android, .openbsd, .windows, .wasi])

let package = Package(
    name: "NeuralNLPCourse",
    products: [
        .library(name: "NeuralKit", targets: ["NeuralKit"]),
        .library(name: "TextData", targets: ["TextData"]),
        .library(name: "FigureKit", targets: ["FigureKit"]),
        .library(name: "NGram", targets: ["NGram"]),
        .library(name: "RecurrentLM", targets: ["RecurrentLM"]),
        .library(name: "Classifiers", targets: ["Classifiers"]),
        .executable(name: "Chapter01", targets: ["Chapter01"]),
        .executable(name: "Chapter02", targets: ["Chapter02"]),
        .executable(name: "Chapter03", targets: ["Chapter03"]),
        .executable(name: "Chapter04", targets: ["Chapter04"]),
        .executable(name: "Chapter05", targets: ["Chapter05"]),
        .executable(name: "Chapter06", targets: ["Chapter06"]),
        .executable(name: "Chapter07", targets: ["Chapter07"]),
        .executable(name: "Chapter08", targets: ["Chapter08"]),
        .executable(name: "Chapter09", targets: ["Chapter09"]),
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
        .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),

        // MARK: - Library
        // C kernels: exact matrix products and softmax rows (the same bits on every CPU),
        // and the fast softmax row, vectorized for the CPU it runs on.
        .target(name: "CKernels", path: "Sources/CKernels", cSettings: kernelSettings),
        .target(
            name: "NeuralKit",
            dependencies: [
                .target(name: "CBLAS", condition: notApple), "CKernels",
            ],
            swiftSettings: optimizedEverywhere),
        .target(name: "TextData", resources: [.copy("Samples")], swiftSettings: optimizedEverywhere),
        .target(name: "FigureKit", dependencies: ["CGraphviz", "NeuralKit"]),
        .target(name: "NGram", dependencies: ["TextData"], swiftSettings: optimizedEverywhere),
        .target(
            name: "RecurrentLM", dependencies: ["NeuralKit", "TextData", "TrainingKit"],
            swiftSettings: optimizedEverywhere),
        .target(
            name: "Classifiers", dependencies: ["NeuralKit", "TextData", "TrainingKit"],
            swiftSettings: optimizedEverywhere),
        // What a training run needs besides the model: errors that stop a run, checkpoints,
        // Ctrl-C, progress bars, the C library's memory settings. Below the command line,
        // so the libraries can use it. Optimized too: it reads every parameter after every
        // epoch (the finiteness check, checkpoints).
        .target(
            name: "TrainingKit", dependencies: ["NeuralKit", .target(name: "CMalloc", condition: notApple)],
            swiftSettings: optimizedEverywhere),
        .target(
            name: "ChapterKit",
            dependencies: ["NeuralKit", "TrainingKit", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        // The package's own tools: finding the package, running programs.
        .target(name: "PackageTools"),
        .executableTarget(
            name: "Autograder", dependencies: ["PackageTools", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            exclude: ["points.json"]),
        .executableTarget(
            name: "Book", dependencies: ["PackageTools", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(
            name: "Benchmarks", dependencies: ["NeuralKit", "TextData", "RecurrentLM", "TrainingKit", "FigureKit"],
            swiftSettings: optimizedEverywhere),

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
            name: "Chapter02",
            dependencies: [
                "NeuralKit", "TextData", "FigureKit", "ChapterKit", "Classifiers",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Chapters/Chapter02",
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

        .executableTarget(
            name: "Chapter05",
            dependencies: [
                "NeuralKit", "TextData", "NGram", "FigureKit", "ChapterKit", "RecurrentLM",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Chapters/Chapter05",
            swiftSettings: optimizedEverywhere),

        .executableTarget(
            name: "Chapter06",
            dependencies: [
                "NeuralKit", "TextData", "FigureKit", "ChapterKit", "RecurrentLM",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Chapters/Chapter06",
            swiftSettings: optimizedEverywhere),

        .executableTarget(
            name: "Chapter07",
            dependencies: [
                "NeuralKit", "TextData", "NGram", "FigureKit", "ChapterKit", "RecurrentLM",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Chapters/Chapter07",
            swiftSettings: optimizedEverywhere),

        .executableTarget(
            name: "Chapter08",
            dependencies: [
                "NeuralKit", "TextData", "FigureKit", "ChapterKit", "RecurrentLM",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Chapters/Chapter08",
            swiftSettings: optimizedEverywhere),

        .executableTarget(
            name: "Chapter09",
            dependencies: [
                "NeuralKit", "TextData", "FigureKit", "ChapterKit", "Classifiers",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Chapters/Chapter09",
            swiftSettings: optimizedEverywhere),

        // MARK: - Tests
        .testTarget(name: "NeuralKitTests", dependencies: ["NeuralKit"]),
        .testTarget(name: "TextDataTests", dependencies: ["TextData"]),
        .testTarget(name: "FigureKitTests", dependencies: ["FigureKit", "NeuralKit"]),
        .testTarget(name: "Chapter01Tests", dependencies: ["Chapter01", "NeuralKit", "TextData", "ChapterKit"]),
        .testTarget(name: "Chapter02Tests", dependencies: ["Chapter02", "Classifiers", "NeuralKit", "TextData", "ChapterKit"]),
        .testTarget(name: "BookTests", dependencies: ["Book"]),
        .testTarget(name: "LedgerTests", dependencies: []),
        .testTarget(name: "Chapter09Tests", dependencies: ["Chapter09", "Classifiers", "FigureKit", "NeuralKit", "TextData", "ChapterKit"]),
        .testTarget(name: "Chapter03Tests", dependencies: ["Chapter03", "NGram", "TextData", "ChapterKit"]),
        .testTarget(name: "Chapter04Tests", dependencies: ["Chapter04", "NeuralKit", "TextData", "ChapterKit"]),
        .testTarget(name: "Chapter08Tests", dependencies: ["Chapter08", "RecurrentLM", "NeuralKit", "TextData", "ChapterKit"]),
        .testTarget(name: "Chapter07Tests", dependencies: ["Chapter07", "RecurrentLM", "NeuralKit", "TextData", "ChapterKit"]),
        .testTarget(name: "Chapter06Tests", dependencies: ["Chapter06", "RecurrentLM", "NeuralKit", "TextData", "ChapterKit"]),
        .testTarget(name: "Chapter05Tests", dependencies: ["Chapter05", "RecurrentLM", "NeuralKit", "TextData", "ChapterKit"]),
    ]
)
