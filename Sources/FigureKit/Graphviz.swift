import CGraphviz
import Foundation
import NeuralKit

/// The house style of the computation graphs, and the formats they are written in. The
/// defaults are what the chapters commit to `Figures/` (SVG and PNG, inputs at the
/// bottom); an instructor regenerating figures for slides sets them from the environment
/// (`swift run Book figures DIR` does): `FIGURE_FORMATS` (e.g. `svg,png,pdf`),
/// `FIGURE_DPI` (PNG resolution), `FIGURE_RANKDIR` (`BT`, `LR`, `TB`, `RL`), `FIGURE_FONT`.
public struct FigureStyle: Sendable {
    public var formats = ["svg", "png"]
    public var dpi: Int?
    public var rankdir = "BT"
    public var fontName = "DejaVu Sans"

    public init() {}

    public static let current: FigureStyle = {
        var style = FigureStyle()
        let environment = ProcessInfo.processInfo.environment
        if let formats = environment["FIGURE_FORMATS"]?.split(separator: ",").map({ String($0).lowercased() }),
           !formats.isEmpty, formats.allSatisfy(["svg", "png", "pdf"].contains) {
            style.formats = formats
        }
        if let dpi = environment["FIGURE_DPI"].flatMap(Int.init), dpi > 0 { style.dpi = dpi }
        if let rankdir = environment["FIGURE_RANKDIR"], ["BT", "LR", "TB", "RL"].contains(rankdir) { style.rankdir = rankdir }
        if let font = environment["FIGURE_FONT"], !font.isEmpty { style.fontName = font }
        return style
    }()
}

/// Lays out and renders a ``ComputationGraph`` through Graphviz's C library
/// (cgraph to build the graph, gvc to lay it out with `dot` and render it).
public enum GraphvizRenderer {
    public enum RenderError: Error, CustomStringConvertible {
        case graphviz(step: String)
        public var description: String {
            switch self { case .graphviz(let step): return "Graphviz failed while \(step)" }
        }
    }

    static var fontName: String { FigureStyle.current.fontName }

    /// The DOT text of the graph as Graphviz's `agwrite` prints it (before layout).
    public static func dot(_ graph: ComputationGraph) throws -> String {
        try withGraph(graph) { _, g in
            var buffer: UnsafeMutablePointer<CChar>?
            var size = 0
            guard let stream = open_memstream(&buffer, &size) else {
                throw RenderError.graphviz(step: "opening a memory stream")
            }
            let status = agwrite(g, UnsafeMutableRawPointer(stream))
            fclose(stream)
            defer { free(buffer) }
            guard status == 0, let buffer else { throw RenderError.graphviz(step: "writing DOT text") }
            return String(cString: buffer)
        }
    }

    /// Writes `<directory>/<name>.svg` and `<directory>/<name>.png` (or the formats of
    /// ``FigureStyle/current``); returns their URLs.
    @discardableResult
    public static func render(_ graph: ComputationGraph, to directory: URL, name: String) throws -> [URL] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return try withGraph(graph) { gvc, g in
            guard gvLayout(gvc, g, "dot") == 0 else { throw RenderError.graphviz(step: "laying out \(name)") }
            defer { gvFreeLayout(gvc, g) }
            var urls: [URL] = []
            for format in FigureStyle.current.formats {
                let url = directory.appendingPathComponent("\(name).\(format)")
                // Graphviz writes the file itself: into a temporary file, renamed into place
                // once complete, so the figure appears whole or not at all.
                try atomicWrite(to: url) { temporary in
                    guard gvRenderFilename(gvc, g, format, temporary.path) == 0 else {
                        throw RenderError.graphviz(step: "rendering \(url.path)")
                    }
                }
                urls.append(url)
            }
            return urls
        }
    }

    /// Builds the cgraph graph for `graph`, hands it to `body`, then frees everything.
    private static func withGraph<T>(
        _ graph: ComputationGraph, _ body: (OpaquePointer, UnsafeMutablePointer<Agraph_t>) throws -> T
    ) throws -> T {
        guard let gvc = gvContext() else { throw RenderError.graphviz(step: "creating a context") }
        defer { gvFreeContext(gvc) }
        guard let g = agopen(mutating: "G", cgraphviz_directed().pointee) else {
            throw RenderError.graphviz(step: "creating a graph")
        }
        defer { agclose(g) }
        set(g, "rankdir", FigureStyle.current.rankdir)
        if let dpi = FigureStyle.current.dpi { set(g, "dpi", String(dpi)) }
        set(g, "label", graph.title)
        set(g, "labelloc", "t")
        set(g, "fontname", fontName)
        set(g, "nodesep", "0.3")
        set(g, "ranksep", "0.35")
        for (name, value) in [("fontname", fontName), ("fontsize", "11"), ("shape", "box"), ("style", "filled,rounded")] {
            name.withCString { n in
                value.withCString { v in
                    _ = agattr(g, Int32(AGNODE), UnsafeMutablePointer(mutating: n), UnsafeMutablePointer(mutating: v))
                }
            }
        }
        var created: [String: UnsafeMutablePointer<Agnode_t>] = [:]
        for node in graph.nodes {
            guard let n = node.id.withCString({ agnode(g, UnsafeMutablePointer(mutating: $0), 1) }) else {
                throw RenderError.graphviz(step: "adding node \(node.id)")
            }
            // Graphviz reads the two characters \n in a label as a centred line break.
            set(n, "label", node.label.replacingOccurrences(of: "\n", with: "\\n"))
            if node.role == .input { set(n, "style", "rounded") }
            set(n, "fillcolor", fill(node.role))
            created[node.id] = n
        }
        for edge in graph.edges {
            guard let tail = created[edge.from], let head = created[edge.to],
                  agedge(g, tail, head, nil, 1) != nil
            else { throw RenderError.graphviz(step: "adding edge \(edge.from) → \(edge.to)") }
        }
        return try body(gvc, g)
    }

    private static func fill(_ role: ComputationGraph.Role) -> String {
        switch role {
        case .input: return "white"
        case .parameter: return "lightblue"
        case .operation: return "lightgrey"
        case .output: return "darkolivegreen1"
        }
    }

    /// agsafeset with Swift strings (Graphviz 2.42+ takes `char *`; nothing is leaked).
    private static func set(_ object: UnsafeMutableRawPointer, _ name: String, _ value: String) {
        name.withCString { n in
            value.withCString { v in
                "".withCString { empty in
                    _ = agsafeset(object, UnsafeMutablePointer(mutating: n), UnsafeMutablePointer(mutating: v),
                                  UnsafeMutablePointer(mutating: empty))
                }
            }
        }
    }
}

private func agopen(mutating name: String, _ descriptor: Agdesc_t) -> UnsafeMutablePointer<Agraph_t>? {
    name.withCString { agopen(UnsafeMutablePointer(mutating: $0), descriptor, nil) }
}

private extension GraphvizRenderer {
    static func set(_ g: UnsafeMutablePointer<Agraph_t>, _ name: String, _ value: String) {
        set(UnsafeMutableRawPointer(g), name, value)
    }
    static func set(_ n: UnsafeMutablePointer<Agnode_t>, _ name: String, _ value: String) {
        set(UnsafeMutableRawPointer(n), name, value)
    }
}
