import Foundation

/// A chapter whose model lives in the library shows it where its prose explains it: a
/// prose line `<!-- code: Sources/NeuralKit/Layers/Recurrent.swift LSTMCell -->` is replaced by
/// that declaration, its doc comment and its body, found by name (never by line number,
/// so the library can change around it). `Type.member` names a member of a type
/// (`LSTMCell.step`); a type's extensions are not included.
let codeDirectivePattern = #"^\s*<!--\s*code:\s*(\S+)\s+(\S+)\s*-->\s*$"#

/// The pieces with every code directive of their prose replaced by the library code it
/// names (the prose is cut there). `read` gives a library file's text by its path from the
/// package root. A file that cannot be read or a name not found is an error naming the
/// chapter, the file and the name.
func weaveLibraryCode(_ pieces: [Piece], chapter: String, read: (String) throws -> String) throws -> [Piece] {
    var out: [Piece] = []
    for piece in pieces {
        guard case .prose(let text) = piece, text.contains("<!--") else {
            out.append(piece)
            continue
        }
        var prose: [Substring] = []
        func flushProse() {
            let block = prose.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
            if !block.isEmpty { out.append(.prose(block)) }
            prose = []
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.range(of: codeDirectivePattern, options: .regularExpression) != nil else {
                prose.append(line)
                continue
            }
            let file = String(line).replacingOccurrences(of: codeDirectivePattern, with: "$1", options: .regularExpression)
            let symbol = String(line).replacingOccurrences(of: codeDirectivePattern, with: "$2", options: .regularExpression)
            let source: String
            do { source = try read(file) } catch {
                throw BookError("\(chapter): <!-- code: \(file) \(symbol) -->: cannot read \(file) (\(error))")
            }
            guard let code = declaration(named: symbol, in: source) else {
                throw BookError("\(chapter): <!-- code: \(file) \(symbol) -->: \(file) declares no \(symbol)")
            }
            flushProse()
            out.append(.library(file: file, symbol: symbol, code: code))
        }
        flushProse()
    }
    return out
}

/// The library files the pieces weave in (their changes must rebuild the page).
func wovenFiles(_ pieces: [Piece]) -> [String] {
    var files: [String] = []
    for case .library(let file, _, _) in pieces where !files.contains(file) { files.append(file) }
    return files
}

/// The declaration of `symbol` in a Swift source: its doc comment and attributes, the
/// declaration and its body up to the matching brace, without the autograder's
/// `// BEGIN SOLUTION` / `// END SOLUTION` lines, dedented. `Type.member` looks for the
/// member inside the type's body (the first declaration of that name). nil when absent.
func declaration(named symbol: String, in source: String) -> String? {
    let lines = source.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    var range = 0..<lines.count
    let parts = symbol.split(separator: ".").map(String.init)
    guard !parts.isEmpty else { return nil }
    for (depth, name) in parts.enumerated() {
        let kinds = depth == 0 && parts.count > 1
            ? "struct|class|enum|protocol|actor"
            : "struct|class|enum|protocol|actor|func|init|var|let|typealias|case"
        let pattern = #"^\s*((@[A-Za-z_]+(\([^)]*\))?|public|private|fileprivate|internal|open|final|static|class|mutating|nonisolated|override|indirect|lazy)\s+)*("#
            + kinds + #")\s+"# + NSRegularExpression.escapedPattern(for: name) + #"\b"#
        guard let start = range.first(where: { lines[$0].range(of: pattern, options: .regularExpression) != nil }) else { return nil }
        let end = declarationEnd(lines, from: start)
        if depth == parts.count - 1 {
            var first = start
            while first > 0 {
                let above = lines[first - 1].trimmingCharacters(in: .whitespaces)
                guard above.hasPrefix("///") || above.hasPrefix("@") else { break }
                first -= 1
            }
            let body = lines[first...end].filter {
                let trimmed = $0.trimmingCharacters(in: .whitespaces)
                return !trimmed.hasPrefix("// BEGIN SOLUTION") && !trimmed.hasPrefix("// END SOLUTION")
            }
            return dedentAll(body).joined(separator: "\n")
        }
        range = (start + 1)..<Swift.max(start + 1, end)
    }
    return nil
}

/// The line on which the declaration starting at `start` ends: the line of the brace
/// that closes its body, or, for a declaration without a body, the last line of its
/// header. Strings and comments are skipped.
func declarationEnd(_ lines: [String], from start: Int) -> Int {
    var braces = 0, parentheses = 0, opened = false
    var inBlockComment = 0, inString = false, inMultilineString = false
    for index in start..<lines.count {
        let characters = Array(lines[index])
        var i = 0
        while i < characters.count {
            let c = characters[i], next: Character? = i + 1 < characters.count ? characters[i + 1] : nil
            if inBlockComment > 0 {
                if c == "*", next == "/" { inBlockComment -= 1; i += 1 } else if c == "/", next == "*" { inBlockComment += 1; i += 1 }
            } else if inMultilineString {
                if c == "\\" { i += 1 } else if lines[index].dropFirst(i).hasPrefix("\"\"\"") { inMultilineString = false; i += 2 }
            } else if inString {
                if c == "\\" { i += 1 } else if c == "\"" { inString = false }
            } else if c == "/", next == "/" {
                break  // the rest of the line is a comment
            } else if c == "/", next == "*" {
                inBlockComment = 1
                i += 1
            } else if c == "\"" {
                if lines[index].dropFirst(i).hasPrefix("\"\"\"") { inMultilineString = true; i += 2 } else { inString = true }
            } else if c == "(" || c == "[" {
                parentheses += 1
            } else if c == ")" || c == "]" {
                parentheses -= 1
            } else if c == "{" {
                braces += 1
                opened = true
            } else if c == "}" {
                braces -= 1
                if opened, braces == 0 { return index }
            }
            i += 1
        }
        inString = false
        if !opened, parentheses == 0, inBlockComment == 0, !inMultilineString {
            // no body yet: the header goes on only if the next line continues it
            let following = lines.dropFirst(index + 1).first { !$0.trimmingCharacters(in: .whitespaces).isEmpty }?
                .trimmingCharacters(in: .whitespaces) ?? ""
            let trimmed = lines[index].trimmingCharacters(in: .whitespaces)
            let continues = ["{", "->", "where", "throws", "rethrows", "async", ":"].contains { following.hasPrefix($0) }
                || [",", "->", ":", "=", "&"].contains { trimmed.hasSuffix($0) }
            if !continues { return index }
        }
    }
    return lines.count - 1
}

/// The lines without the indentation all non-blank ones share.
func dedentAll(_ lines: [String]) -> [String] {
    let common = lines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map { $0.prefix { $0 == " " }.count }.min() ?? 0
    return lines.map { String($0.dropFirst(Swift.min(common, $0.prefix { $0 == " " }.count))) }
}
