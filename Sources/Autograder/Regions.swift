import Foundation
import PackageTools

/// One exercise: a solution region in one source file, its points, and the tests that
/// grade it (`Class.testName`, as `swift test --filter` matches them).
struct Exercise: Codable, Sendable {
    var id: String
    var name: String
    var points: Double
    var file: String
    var tests: [String]
}

/// The points file (`Sources/Autograder/points.json`): every exercise, and the time
/// limit of each exercise's test run.
struct PointsFile: Codable, Sendable {
    var timeoutSeconds: Int
    var exercises: [Exercise]

    static func load(_ url: URL) throws -> PointsFile {
        do {
            return try JSONDecoder().decode(PointsFile.self, from: Data(contentsOf: url))
        } catch {
            throw AutograderError("\(url.path): cannot read the points file (\(error))")
        }
    }
}

typealias AutograderError = ToolError

let beginSolution = "// BEGIN SOLUTION", endSolution = "// END SOLUTION"
let beginHidden = "// BEGIN HIDDEN TESTS", endHidden = "// END HIDDEN TESTS"

/// A solution region of a source file: the marker lines' indices and the lines between.
struct Region {
    var id: String
    var begin: Int  // index of the BEGIN line
    var end: Int    // index of the END line
    var indent: String
    var body: [String]
}

func lines(_ text: String) -> [String] { text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }

/// The solution regions of a file, in order. Unbalanced or nested markers are an error
/// naming the file and line.
func solutionRegions(in text: String, path: String) throws -> [Region] {
    var regions: [Region] = []
    var open: (id: String, line: Int, indent: String)?
    for (i, line) in lines(text).enumerated() {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix(beginSolution) {
            if let open { throw AutograderError("\(path):\(i + 1): a solution region opens inside \(open.id) (line \(open.line + 1))") }
            let id = trimmed.dropFirst(beginSolution.count).trimmingCharacters(in: .whitespaces)
            guard !id.isEmpty else { throw AutograderError("\(path):\(i + 1): a solution region without an exercise id") }
            open = (id, i, String(line.prefix { $0 == " " }))
        } else if trimmed.hasPrefix(endSolution) {
            guard let o = open else { throw AutograderError("\(path):\(i + 1): END SOLUTION without a BEGIN") }
            regions.append(Region(id: o.id, begin: o.line, end: i, indent: o.indent, body: Array(lines(text)[(o.line + 1)..<i])))
            open = nil
        }
    }
    if let open { throw AutograderError("\(path):\(open.line + 1): solution region \(open.id) is never closed") }
    return regions
}

/// The file with the bodies of the named regions replaced (markers kept).
func replacingRegions(in text: String, path: String, with bodies: [String: [String]]) throws -> String {
    var out = lines(text)
    for region in try solutionRegions(in: text, path: path).reversed() {
        guard let body = bodies[region.id] else { continue }
        out.replaceSubrange((region.begin + 1)..<region.end, with: body)
    }
    return out.joined(separator: "\n")
}

/// What a student finds in place of a solution: code that compiles (whatever the
/// function returns) and stops with a message naming the exercise when it runs.
func stubBody(_ exercise: Exercise, indent: String) -> [String] {
    let tests = exercise.tests.filter { !$0.isEmpty }.map { $0.split(separator: ".").first.map(String.init) ?? $0 }
    let command = Array(Set(tests)).sorted().joined(separator: "|")
    return ["\(indent)// Your code here: \(exercise.name).",
            "\(indent)fatalError(\"Exercise \(exercise.id) is not done yet (\(exercise.name)): write it in \(exercise.file), then run: swift test --filter '\(command)'\")"]
}

/// The file without its hidden tests (the lines between the HIDDEN TESTS markers, and
/// the markers).
func removingHiddenTests(_ text: String, path: String) throws -> String {
    var out: [String] = []
    var hiddenSince: Int?
    for (i, line) in lines(text).enumerated() {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix(beginHidden) {
            if hiddenSince != nil { throw AutograderError("\(path):\(i + 1): hidden tests open twice") }
            hiddenSince = i
        } else if trimmed.hasPrefix(endHidden) {
            guard hiddenSince != nil else { throw AutograderError("\(path):\(i + 1): END HIDDEN TESTS without a BEGIN") }
            hiddenSince = nil
        } else if hiddenSince == nil {
            out.append(line)
        }
    }
    if let hiddenSince { throw AutograderError("\(path):\(hiddenSince + 1): hidden tests are never closed") }
    return out.joined(separator: "\n")
}
