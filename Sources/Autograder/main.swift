import ArgumentParser
import Foundation
import PackageTools

/// `swift run Autograder student DIR | grade SUBMISSION --results FILE | bundle FILE.zip`:
/// assignments from the solution package, run from its root.
struct Autograder: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make the student version of the package, grade a submission, or build the Gradescope bundle.",
        subcommands: [Student.self, Grade.self, BundleCommand.self])
}

func loadPoints(_ root: URL, _ path: String?) throws -> PointsFile {
    try PointsFile.load(path.map { URL(fileURLWithPath: $0) } ?? root.appendingPathComponent("Sources/Autograder/points.json"))
}

struct Student: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the student version: every solution region replaced by a stub, hidden tests left out.")

    @Argument(help: "The folder to write (it must not exist yet, or be empty).")
    var directory: String

    @Option(help: "The points file (default: Sources/Autograder/points.json).")
    var points: String?

    func run() throws {
        let root = try packageRoot(tool: "swift run Autograder")
        let exercises = Dictionary(uniqueKeysWithValues: try loadPoints(root, points).exercises.map { ($0.id, $0) })
        let out = URL(fileURLWithPath: directory, isDirectory: true)
        if let existing = try? FileManager.default.contentsOfDirectory(atPath: out.path), !existing.isEmpty {
            throw AutograderError("\(out.path) is not empty: give a new folder")
        }
        var stubbed: [String] = [], hidden = 0
        for path in try packageFiles(root) {
            let source = root.appendingPathComponent(path)
            var data = try Data(contentsOf: source)
            if path.hasSuffix(".swift"), var text = String(data: data, encoding: .utf8) {
                let regions = try solutionRegions(in: text, path: path)
                if !regions.isEmpty {
                    var bodies: [String: [String]] = [:]
                    for region in regions {
                        guard let exercise = exercises[region.id] else {
                            throw AutograderError("\(path):\(region.begin + 1): region \(region.id) is not in the points file")
                        }
                        bodies[region.id] = stubBody(exercise, indent: region.indent)
                        stubbed.append(region.id)
                    }
                    text = try replacingRegions(in: text, path: path, with: bodies)
                }
                if path.hasPrefix("Tests/") && text.contains(beginHidden) {
                    hidden += text.components(separatedBy: beginHidden).count - 1
                    text = try removingHiddenTests(text, path: path)
                }
                data = Data(text.utf8)
            }
            try writeIfChanged(data, to: out.appendingPathComponent(path))
        }
        let missing = Set(exercises.keys).subtracting(stubbed)
        if !missing.isEmpty { throw AutograderError("no solution region found for \(missing.sorted().joined(separator: ", "))") }
        print("Student version written to \(out.path): \(stubbed.count) exercises stubbed (\(stubbed.joined(separator: ", "))), \(hidden) hidden test blocks left out.")
    }
}

struct Grade: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Grade a student's copy of the package; write Gradescope's results.json.")

    @Argument(help: "The submission: the student's package folder (or a folder holding it).")
    var submission: String

    @Option(help: "Where to write results.json.")
    var results: String

    @Option(help: "The points file (default: Sources/Autograder/points.json).")
    var points: String?

    @Option(help: "A work folder, kept between gradings so builds are incremental (default: a folder in the temporary directory).")
    var work: String?

    func run() throws {
        let root = try packageRoot(tool: "swift run Autograder")
        let pointsFile = try loadPoints(root, points)
        let workURL = URL(fileURLWithPath: work ?? FileManager.default.temporaryDirectory.appendingPathComponent("neural-nlp-autograder").path)
        let graded = try grade(submission: URL(fileURLWithPath: submission, isDirectory: true), root: root, points: pointsFile,
                               work: workURL) { print($0) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let url = URL(fileURLWithPath: results)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try encoder.encode(graded).write(to: url)
        for test in graded.tests { print(String(format: "%6.2f / %-5g %@", test.score, test.maxScore, test.name as NSString)) }
        print("\(graded.output) Results written to \(url.path)")
    }
}

struct BundleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundle",
        abstract: "Write the Gradescope autograder bundle: setup.sh, run_autograder and the solution package, zipped.")

    @Argument(help: "The zip file to write.")
    var file: String

    func run() throws {
        let root = try packageRoot(tool: "swift run Autograder")
        let staging = FileManager.default.temporaryDirectory.appendingPathComponent("autograder-bundle-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: staging) }
        for path in try packageFiles(root) where !path.hasPrefix("Book/") && !path.hasPrefix("docs/") {
            try writeIfChanged(try Data(contentsOf: root.appendingPathComponent(path)), to: staging.appendingPathComponent(path))
        }
        try writeIfChanged(Data(setupScript.utf8), to: staging.appendingPathComponent("setup.sh"))
        try writeIfChanged(Data(runScript.utf8), to: staging.appendingPathComponent("run_autograder"))
        for script in ["setup.sh", "run_autograder"] {
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: staging.appendingPathComponent(script).path)
        }
        let zip = URL(fileURLWithPath: file).standardizedFileURL
        try? FileManager.default.removeItem(at: zip)
        let result = try runProcess(["zip", "-q", "-r", "-X", zip.path, "."], in: staging, timeout: 600)
        guard result.status == 0 else { throw AutograderError("zip failed: \(result.combined)") }
        print("Gradescope bundle written to \(zip.path): upload it as the autograder (Ubuntu 22.04 base image).")
    }
}

/// Gradescope runs this once when it builds the autograder image: system libraries, the
/// Swift toolchain, and a first build (so grading a submission only recompiles what it
/// changed).
let setupScript = #"""
#!/usr/bin/env bash
# Gradescope autograder setup (Ubuntu 22.04 base image): system libraries, the Swift
# toolchain, and a first build of the solution package in /autograder/source.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq libgraphviz-dev libopenblas-dev pkg-config fonts-dejavu-core \
  binutils git gnupg2 libc6-dev libcurl4-openssl-dev libedit2 libgcc-11-dev libpython3-dev \
  libsqlite3-0 libstdc++-11-dev libxml2-dev libz3-dev tzdata unzip zlib1g-dev curl zip
if ! command -v swift >/dev/null; then
  version=6.0.3
  curl -fsSL "https://download.swift.org/swift-${version}-release/ubuntu2204/swift-${version}-RELEASE/swift-${version}-RELEASE-ubuntu22.04.tar.gz" -o /tmp/swift.tar.gz
  mkdir -p /opt/swift && tar -xzf /tmp/swift.tar.gz -C /opt/swift --strip-components=1
  ln -sf /opt/swift/usr/bin/* /usr/local/bin/
fi
cd /autograder/source
swift build --product Autograder
"$(swift build --show-bin-path)/Autograder" grade /autograder/source --results /tmp/warm-up.json --work /autograder/work >/dev/null
"""#

/// Gradescope runs this for every submission. AUTOGRADER_ROOT (default /autograder) lets
/// a local check run it against a folder laid out like Gradescope's.
let runScript = #"""
#!/usr/bin/env bash
# Grades /autograder/submission into /autograder/results/results.json.
set -euo pipefail
root="${AUTOGRADER_ROOT:-/autograder}"
work="${AUTOGRADER_WORK:-$root/work}"
cd "$root/source"
swift build --product Autograder >/dev/null
mkdir -p "$root/results"
"$(swift build --show-bin-path)/Autograder" grade "$root/submission" --results "$root/results/results.json" --work "$work"
"""#

Autograder.main()
