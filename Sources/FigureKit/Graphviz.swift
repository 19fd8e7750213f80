import CGraphviz
import Foundation

/// Lays out and renders a ``ComputationGraph`` through Graphviz's C library
/// (cgraph to build the graph, gvc to lay it out with `dot` and render it).
public enum GraphvizRenderer {
    public enum RenderError: Error, CustomStringConvertible {
        case graphviz(step: String)
        public var description: String {
            switch self { case .graphviz(let step): return "Graphviz failed while \(step)" }
        }
    }

    static let fontName = "DejaVu Sans"

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

    /// Writes `<directory>/<name>.svg` and `<directory>/<name>.png`; returns their URLs.
    @discardableResult
    public static func render(_ graph: ComputationGraph, to directory: URL, name: String) throws -> [URL] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return try withGraph(graph) { gvc, g in
            guard gvLayout(gvc, g, "dot") == 0 else { throw RenderError.graphviz(step: "laying out \(name)") }
            defer { gvFreeLayout(gvc, g) }
            var urls: [URL] = []
            for format in ["svg", "png"] {
                let url = directory.appendingPathComponent("\(name).\(format)")
                guard gvRenderFilename(gvc, g, format, url.path) == 0 else {
                    throw RenderError.graphviz(step: "rendering \(url.path)")
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
        set(g, "rankdir", "BT")
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
