import Foundation
import PackageTools

/// One graded exercise, as Gradescope's `results.json` lists it.
struct GradedTest: Codable, Equatable {
    var name: String
    var score: Double
    var maxScore: Double
    var status: String
    var output: String
    var visibility: String
}

/// Gradescope's `results.json`.
struct GradescopeResults: Codable, Equatable {
    var score: Double
    var maxScore: Double
    var output: String
    var tests: [GradedTest]
    var executionTime: Double?
}

/// Grades `submission` (a student's copy of the package) against the solution package at
/// `root`:
///
/// 1. a staging copy of the solution (with every test, hidden ones included) gets the
///    student's code spliced into each solution region; nothing else of the submission
///    is used, so editing tests or other files changes nothing;
/// 2. it is built; a compile error inside an exercise's region costs that exercise only:
///    the region is replaced by its stub and the build retried;
/// 3. each exercise's tests run in their own process under the time limit, so a crash
///    or an endless loop costs that exercise only;
/// 4. points per exercise are the points file's, in proportion to the tests passed.
///
/// The staging folder and the build folder live under `work` and are reused, so a second
/// grading only recompiles what changed.
func grade(submission: URL, root: URL, points: PointsFile, work: URL, log: (String) -> Void) throws -> GradescopeResults {
    let clock = ContinuousClock(), start = clock.now
    let stage = work.appendingPathComponent("package"), build = work.appendingPathComponent("build")
    let submitted = try submissionRoot(submission)
    let byFile = Dictionary(grouping: points.exercises, by: \.file)

    // 1. the staged package
    var stagedText: [String: String] = [:]
    var notes: [String: String] = [:]
    for path in try packageFiles(root) where path == "Package.swift" || ["Sources/", "Chapters/", "Tests/"].contains(where: path.hasPrefix) {
        let source = root.appendingPathComponent(path)
        guard let exercises = byFile[path] else {
            try writeIfChanged(try Data(contentsOf: source), to: stage.appendingPathComponent(path))
            continue
        }
        let solution = try String(contentsOf: source, encoding: .utf8)
        let studentText = try? String(contentsOf: submitted.appendingPathComponent(path), encoding: .utf8)
        let studentRegions = studentText.flatMap { try? solutionRegions(in: $0, path: path) } ?? []
        var bodies: [String: [String]] = [:]
        for exercise in exercises {
            if let region = studentRegions.first(where: { $0.id == exercise.id }) {
                bodies[exercise.id] = region.body
            } else {
                let indent = (try solutionRegions(in: solution, path: path)).first { $0.id == exercise.id }?.indent ?? "    "
                bodies[exercise.id] = stubBody(exercise, indent: indent)
                notes[exercise.id] = "The submission has no region \"\(beginSolution) \(exercise.id)\" in \(path), so this exercise was graded as not done."
            }
        }
        let text = try replacingRegions(in: solution, path: path, with: bodies)
        stagedText[path] = text
        try writeIfChanged(Data(text.utf8), to: stage.appendingPathComponent(path))
    }

    // 2. build; regions that do not compile are replaced by their stubs
    var compileErrors: [String: String] = [:]
    var buildFailure: String?
    for _ in 0...points.exercises.count {
        log("building the submission…")
        let result = try runProcess(["swift", "build", "--build-tests", "--scratch-path", build.path], in: stage, timeout: 3600)
        if result.status == 0 { buildFailure = nil; break }
        let errors = compilerErrors(result.combined, stage: stage)
        var culprits: Set<String> = []
        var unplaced: [String] = []
        for error in errors {
            if let text = stagedText[error.file],
               let region = (try? solutionRegions(in: text, path: error.file))?.first(where: { $0.begin < error.line - 1 && error.line - 1 < $0.end }),
               points.exercises.contains(where: { $0.id == region.id }) {
                culprits.insert(region.id)
                compileErrors[region.id, default: ""] += "\(error.file):\(error.line): error: \(error.message)\n"
            } else {
                unplaced.append("\(error.file):\(error.line): error: \(error.message)")
            }
        }
        if culprits.isEmpty {
            buildFailure = unplaced.isEmpty ? String(result.combined.suffix(3000)) : unplaced.prefix(20).joined(separator: "\n")
            break
        }
        for id in culprits {
            let exercise = points.exercises.first { $0.id == id }!
            let text = stagedText[exercise.file]!
            let indent = (try solutionRegions(in: text, path: exercise.file)).first { $0.id == id }?.indent ?? "    "
            let stubbed = try replacingRegions(in: text, path: exercise.file, with: [id: stubBody(exercise, indent: indent)])
            stagedText[exercise.file] = stubbed
            try writeIfChanged(Data(stubbed.utf8), to: stage.appendingPathComponent(exercise.file))
        }
        buildFailure = "the build still fails"
    }

    // 3. each exercise's tests, alone and under the time limit
    var testBundle = URL(fileURLWithPath: "/nonexistent")
    if buildFailure == nil {
        let binPath = try runProcess(["swift", "build", "--show-bin-path", "--scratch-path", build.path], in: stage, timeout: 600)
            .standardOutput.split(separator: "\n").last.map { String($0).trimmingCharacters(in: .whitespaces) } ?? ""
        let bundles = (try? FileManager.default.contentsOfDirectory(atPath: binPath).filter { $0.hasSuffix(".xctest") }) ?? []
        guard let name = bundles.sorted().first else { throw AutograderError("no test bundle (.xctest) in \(binPath) after the build") }
        testBundle = URL(fileURLWithPath: binPath).appendingPathComponent(name)
    }
    var tests: [GradedTest] = []
    for exercise in points.exercises {
        let name = "\(exercise.name) [\(exercise.id)]"
        if let buildFailure {
            tests.append(GradedTest(name: name, score: 0, maxScore: exercise.points, status: "failed",
                                    output: "The package does not build, outside any exercise region:\n\(buildFailure)", visibility: "visible"))
            continue
        }
        if let errors = compileErrors[exercise.id] {
            tests.append(GradedTest(name: name, score: 0, maxScore: exercise.points, status: "failed",
                                    output: "Your code for this exercise does not compile (it was left out, so the other exercises could be graded):\n\(errors)",
                                    visibility: "visible"))
            continue
        }
        log("testing \(exercise.id)…")
        // The test bundle runs directly (not through `swift test`, which starts it in a
        // process group of its own that a time limit would not reach).
        let selectors = try exercise.tests.map { try testSelector($0, stage: stage) }.joined(separator: ",")
        let run = try runProcess([testBundle.path, selectors], in: stage, timeout: points.timeoutSeconds)
        var passed: [String] = [], failed: [String] = []
        for test in exercise.tests {
            if run.combined.contains("Test Case '\(test)' passed") { passed.append(test) } else { failed.append(test) }
        }
        var output: [String] = []
        if let note = notes[exercise.id] { output.append(note) }
        if run.timedOut {
            output.append("Cut off after \(points.timeoutSeconds) s, the time limit of an exercise's tests (an endless loop?).")
        }
        output += passed.map { "passed: \($0)" } + failed.map { "FAILED: \($0)" }
        let details = failureDetails(run.combined, stage: stage)
        if !failed.isEmpty && !details.isEmpty { output.append("What failed, and by how much:\n" + details.joined(separator: "\n")) }
        let score = (exercise.points * Double(passed.count) / Double(max(exercise.tests.count, 1)) * 100).rounded() / 100
        tests.append(GradedTest(name: name, score: score, maxScore: exercise.points, status: failed.isEmpty ? "passed" : "failed",
                                output: output.joined(separator: "\n"), visibility: "visible"))
    }
    let score = tests.map(\.score).reduce(0, +), maxScore = points.exercises.map(\.points).reduce(0, +)
    let summary = String(format: "%g of %g points; %d of %d exercises complete.", score, maxScore,
                         tests.filter { $0.status == "passed" }.count, tests.count)
    return GradescopeResults(score: score, maxScore: maxScore, output: summary, tests: tests,
                             executionTime: Double((clock.now - start).components.seconds))
}

/// "Class.testName" → "Module.Class/testName", the module being the test target whose
/// folder declares the class.
func testSelector(_ test: String, stage: URL) throws -> String {
    let parts = test.split(separator: ".").map(String.init)
    guard parts.count == 2 else { throw AutograderError("points file: test \(test) is not Class.testName") }
    let tests = stage.appendingPathComponent("Tests")
    for module in (try? FileManager.default.contentsOfDirectory(atPath: tests.path))?.sorted() ?? [] {
        let folder = tests.appendingPathComponent(module)
        for file in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] where file.hasSuffix(".swift") {
            let text = (try? String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)) ?? ""
            if text.contains("class \(parts[0]):") { return "\(module).\(parts[0])/\(parts[1])" }
        }
    }
    throw AutograderError("points file: no test class \(parts[0]) under Tests/")
}

/// `file.swift:12:5: error: message` lines of a build log, with paths made relative to
/// the staged package.
func compilerErrors(_ log: String, stage: URL) -> [(file: String, line: Int, message: String)] {
    var out: [(String, Int, String)] = []
    var seen = Set<String>()
    let regex = try! NSRegularExpression(pattern: #"^(/[^:\n]+\.swift):(\d+):\d+: error: (.*)$"#, options: .anchorsMatchLines)
    for match in regex.matches(in: log, range: NSRange(log.startIndex..., in: log)) {
        guard let path = Range(match.range(at: 1), in: log).map({ String(log[$0]) }),
              let line = Range(match.range(at: 2), in: log).flatMap({ Int(log[$0]) }),
              let message = Range(match.range(at: 3), in: log).map({ String(log[$0]) }) else { continue }
        let relative = path.hasPrefix(stage.path + "/") ? String(path.dropFirst(stage.path.count + 1)) : path
        if seen.insert("\(relative):\(line):\(message)").inserted { out.append((relative, line, message)) }
    }
    return out
}

/// The lines of a test run a student needs: failed assertions with their messages (the
/// claim, the numbers, the tolerance) and fatal errors, paths made relative, timings cut.
func failureDetails(_ log: String, stage: URL) -> [String] {
    log.split(separator: "\n").map(String.init)
        .filter { $0.contains(": error: ") || $0.contains("Fatal error") || $0.contains("Precondition failed") }
        .map { $0.replacingOccurrences(of: stage.path + "/", with: "")
            .replacingOccurrences(of: #" \(\d+(\.\d+)? seconds\)"#, with: "", options: .regularExpression) }
        .prefix(30).map { String($0.prefix(600)) }
}
