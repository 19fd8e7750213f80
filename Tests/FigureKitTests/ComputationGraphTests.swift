import Foundation
import XCTest
import NeuralKit
@testable import FigureKit

final class ComputationGraphTests: XCTestCase {
    /// h = tanh(x Wᵀ + b), J = Σ h: a tape of seven nodes.
    func smallGraph() -> ComputationGraph {
        let tape = Tape<Double>()
        let x = tape.input(.zeros([2, 3]), name: "x")
        let w = Parameter<Double>("layer.W", .zeros([4, 3]))
        let b = Parameter<Double>("layer.b", .zeros([4]))
        let h = tanh(matmul(x, tape.parameter(w), transposeRight: true) + tape.parameter(b))
        _ = tape.input(.zeros([1]), name: "unused")  // not an ancestor of J: left out
        let loss = sum(h)
        return ComputationGraph(tape: tape, output: loss, title: "small")
    }

    func testNodesFollowTapeOrderAndRoles() {
        let graph = smallGraph()
        XCTAssertEqual(graph.nodes.map(\.id), ["n0", "n1", "n2", "n3", "n4", "n5", "n7"])
        XCTAssertEqual(graph.nodes.map(\.role), [.input, .parameter, .operation, .parameter, .operation, .operation, .output])
        XCTAssertEqual(graph.nodes[1].label, "layer.W\n4 × 3")
        XCTAssertEqual(graph.nodes[6].label, "sum\nscalar")
        XCTAssertEqual(graph.edges.map { "\($0.from)->\($0.to)" }, ["n0->n2", "n1->n2", "n2->n4", "n3->n4", "n4->n5", "n5->n7"])
    }

    func testDOTSnapshot() throws {
        let dot = try GraphvizRenderer.dot(smallGraph())
        // BEGIN SNAPSHOT (Graphviz 2.43; regenerate by pasting the printed text when the style changes)
        let expected = #"""
        digraph G {
        	graph [fontname="DejaVu Sans",
        		label=small,
        		labelloc=t,
        		nodesep=0.3,
        		rankdir=BT,
        		ranksep=0.35
        	];
        	node [fontname="DejaVu Sans",
        		fontsize=11,
        		label="\N",
        		shape=box,
        		style="filled,rounded"
        	];
        	n0	[fillcolor=white,
        		label="x\n2 × 3",
        		style=rounded];
        	n2	[fillcolor=lightgrey,
        		label="matmul(·ᵀ)\n2 × 4"];
        	n0 -> n2;
        	n1	[fillcolor=lightblue,
        		label="layer.W\n4 × 3"];
        	n1 -> n2;
        	n4	[fillcolor=lightgrey,
        		label="add (bias)\n2 × 4"];
        	n2 -> n4;
        	n3	[fillcolor=lightblue,
        		label="layer.b\n4"];
        	n3 -> n4;
        	n5	[fillcolor=lightgrey,
        		label="tanh\n2 × 4"];
        	n4 -> n5;
        	n7	[fillcolor=darkolivegreen1,
        		label="sum\nscalar"];
        	n5 -> n7;
        }
        
        """#
        // END SNAPSHOT
        XCTAssertEqual(dot, expected, "DOT text changed:\n\(dot)")
        // The snapshot was pasted from the program's output; the structure is derived
        // here from the model h = tanh(x Wᵀ + b), J = Σ h: nodes x, W, b, matmul, add,
        // tanh, sum (the unused input left out), and one edge per input of each op:
        // matmul 2, add 2, tanh 1, sum 1.
        let parsed = ParsedDOT(dot)
        XCTAssertEqual(parsed.nodes.count, 7)
        XCTAssertEqual(parsed.edges.count, 2 + 2 + 1 + 1)
        XCTAssertEqual(parsed.names(filled: "lightblue").sorted(), ["layer.W", "layer.b"])
        XCTAssertEqual(parsed.names(filled: "darkolivegreen1"), ["sum"])
        XCTAssertFalse(parsed.nodes.values.contains("unused"))
        XCTAssertEqual(parsed.outDegree(of: "layer.W"), 1)
        XCTAssertEqual(parsed.outDegree(of: "x"), 1)
        XCTAssertEqual(parsed.inDegree(of: "sum"), 1)
    }

    /// An RNN unrolled over T steps, drawn from its tape the way the slides draw it: one
    /// column (cluster) per step, W_h drawn once in each column that uses it, W_e and b1
    /// once outside the columns (every step's input projected in one product). Counted by
    /// hand: 5 nodes for the projection (x, W_e, matmul, b1, add), h(0), and per step a
    /// W_h stub and 3 ops (matmul, add, tanh) plus a slice of the projection when T > 1,
    /// and J; edges 4 + 5 per step (W_h, h(t−1) and the slice or projection into the
    /// step's matmul and add, add → tanh, …) + the slices' + 1.
    func testDOTOfAnUnrolledRNNHasOneColumnPerStep() throws {
        for steps in [1, 3, 5] {
            var g = SeededGenerator(seed: 1)
            let cell = RNNCell<Double>(inputSize: 3, hiddenSize: 4, name: "rnn", using: &g)
            let tape = Tape<Double>()
            let states = cell.unroll(tape.input(.uniform([steps * 2, 3], bound: 1, using: &g), name: "x"), steps: steps)
            let graph = ComputationGraph(tape: tape, output: sum(states.last!.hidden), title: "rnn")
            let parsed = ParsedDOT(try GraphvizRenderer.dot(graph))
            let label = "T = \(steps)"
            XCTAssertEqual(graph.columns, (1...steps).map { "t = \($0)" }, label)
            XCTAssertEqual(parsed.clusters.count, steps, label)
            XCTAssertEqual(parsed.names(filled: "lightblue").sorted(),
                           ["rnn.W_e"] + Array(repeating: "rnn.W_h", count: steps) + ["rnn.b1"], label)
            XCTAssertEqual(parsed.outDegree(of: "rnn.W_h"), steps, label)
            XCTAssertEqual(parsed.outDegree(of: "rnn.W_e"), 1, label)
            XCTAssertEqual(parsed.outDegree(of: "rnn.b1"), 1, label)
            XCTAssertEqual(parsed.nodes.values.filter { $0 == "tanh" }.count, steps, label)
            let sliceNodes = steps > 1 ? steps : 0  // one step uses the projection whole
            XCTAssertEqual(parsed.nodes.count, 5 + 1 + 4 * steps + sliceNodes + 1, label)
            XCTAssertEqual(parsed.edges.count, 4 + 5 * steps + sliceNodes + 1, label)
            // Each column holds its step: one W_h, one tanh, one matmul, one add, its slice;
            // h(0) joins the first. The projection, W_e, b1 and J are in no column.
            for (t, cluster) in parsed.clusters.enumerated() {
                let names = cluster.map { parsed.nodes[$0]! }.sorted()
                var expected = ["add", "matmul(·ᵀ)", "rnn.W_h", "tanh"] + (steps > 1 ? ["rows [\(2 * t)..<\(2 * t + 2)]"] : [])
                if t == 0 { expected.append("h(0)") }
                XCTAssertEqual(names, expected.sorted(), "\(label), column \(t + 1)")
            }
            let inColumns = Set(parsed.clusters.joined())
            for name in ["x", "rnn.W_e", "rnn.b1", "sum"] {
                XCTAssertTrue(parsed.ids(named: name).allSatisfy { !inColumns.contains($0) }, "\(label): \(name)")
            }
            // Every op of the tape is drawn exactly once, under its own tape id.
            let ops = tape.nodes.indices.filter { tape.nodes[$0].kind == .operation }.map { "n\($0)" }
            XCTAssertEqual(ops.filter { parsed.nodes[$0] != nil }.count, 2 + (3 * steps + sliceNodes) + 1, label)
            // h(t−1) goes into step t's matmul: one edge from each column into the next.
            let column = Dictionary(parsed.clusters.enumerated().flatMap { c, ids in ids.map { ($0, c) } }) { a, _ in a }
            let across = parsed.edges.filter { column[$0.from] != nil && column[$0.to] != nil && column[$0.from] != column[$0.to] }
            XCTAssertEqual(across.map { column[$0.to]! - column[$0.from]! }, Array(repeating: 1, count: steps - 1), label)
            XCTAssertEqual(across.map { parsed.nodes[$0.from]! }, Array(repeating: "tanh", count: steps - 1), label)
        }
    }

    /// The tape stamps each node with its loop and time step: nodes recorded outside a
    /// loop have none, each `unroll` is a new loop, and a reversed unroll stamps steps by
    /// position (its first node is step T's).
    func testTapeStampsTimeSteps() {
        var g = SeededGenerator(seed: 2)
        let cell = RNNCell<Double>(inputSize: 2, hiddenSize: 2, name: "rnn", using: &g)
        let tape = Tape<Double>()
        let x = tape.input(.uniform([3, 2], bound: 1, using: &g), name: "x")
        _ = cell.unroll(x, steps: 3)
        let firstLoopEnd = tape.nodes.count
        _ = cell.unroll(x, steps: 3, reversed: true)
        XCTAssertNil(tape.nodes[x.id].step)
        XCTAssertEqual(tape.loops, 2)
        XCTAssertNil(tape.timeStep, "the loop resets the step when it ends")
        let first = tape.nodes[..<firstLoopEnd].filter { $0.kind == .operation }.compactMap(\.step)
        let second = tape.nodes[firstLoopEnd...].filter { $0.kind == .operation }.compactMap(\.step)
        XCTAssertEqual(Set(first.map(\.loop)), [1])
        XCTAssertEqual(Set(second.map(\.loop)), [2])
        XCTAssertEqual(first.map(\.time), first.map(\.time).sorted())
        XCTAssertEqual(second.first?.time, 3)
        XCTAssertEqual(second.map(\.time), second.map(\.time).sorted(by: >))
        // per step of an RNN: slice, matmul, add, tanh
        XCTAssertEqual(first.count, 3 * 4)
        XCTAssertEqual(second.count, 3 * 4)
    }

    /// A bidirectional RNN: the → and ← loops share the three columns, one row each, and
    /// each word's two h(t) are joined (concatenated) in that word's column.
    func testStackedLoopsShareTheColumns() throws {
        let graph = bidirectional()
        let parsed = ParsedDOT(try GraphvizRenderer.dot(graph))
        XCTAssertEqual(graph.columns, ["t = 1", "t = 2", "t = 3"])
        for (t, cluster) in parsed.clusters.enumerated() {
            let names = cluster.map { parsed.nodes[$0]! }
            XCTAssertEqual(names.filter { $0 == "fwd.W_h" }.count, 1, "column \(t + 1)")
            XCTAssertEqual(names.filter { $0 == "bwd.W_h" }.count, 1, "column \(t + 1)")
            XCTAssertEqual(names.filter { $0 == "tanh" }.count, 2, "column \(t + 1)")
            XCTAssertEqual(names.filter { $0 == "concat" }.count, 1, "column \(t + 1)")
        }
        for node in graph.nodes where node.label.hasPrefix("bwd.W_h") { XCTAssertEqual(node.row, 1) }
        for node in graph.nodes where node.label.hasPrefix("fwd.W_h") { XCTAssertEqual(node.row, 0) }
        // the ← chain runs right to left: its edges between columns point to the left
        let column = Dictionary(uniqueKeysWithValues: graph.nodes.map { ($0.id, $0) })
        let across = graph.edges.filter(\.acrossSteps)
        XCTAssertEqual(across.filter { column[$0.from]!.row == 1 }.map { column[$0.to]!.column! - column[$0.from]!.column! }, [-1, -1])
        XCTAssertEqual(across.filter { column[$0.from]!.row == 0 }.map { column[$0.to]!.column! - column[$0.from]!.column! }, [1, 1])
    }

    /// An encoder over 2 steps, then a decoder over 3 from its last state: 5 columns,
    /// the encoder's first.
    func testLoopsOneAfterAnother() throws {
        var g = SeededGenerator(seed: 3)
        let encoder = RNNCell<Double>(inputSize: 2, hiddenSize: 2, name: "enc", using: &g)
        let decoder = RNNCell<Double>(inputSize: 2, hiddenSize: 2, name: "dec", using: &g)
        let tape = Tape<Double>()
        let last = encoder.unroll(tape.input(.uniform([2, 2], bound: 1, using: &g), name: "x"), steps: 2)[1]
        let states = decoder.unroll(tape.input(.uniform([3, 2], bound: 1, using: &g), name: "y"), steps: 3, from: last)
        let graph = ComputationGraph(tape: tape, output: sum(states[2].hidden), title: "encoder–decoder",
                                     loops: .oneAfterAnother(names: ["encoder", "decoder"]))
        XCTAssertEqual(graph.columns, ["encoder t = 1", "encoder t = 2", "decoder t = 1", "decoder t = 2", "decoder t = 3"])
        let parsed = ParsedDOT(try GraphvizRenderer.dot(graph))
        XCTAssertEqual(parsed.clusters.map { $0.map { parsed.nodes[$0]! }.filter { $0.hasSuffix(".W_h") } },
                       [["enc.W_h"], ["enc.W_h"], ["dec.W_h"], ["dec.W_h"], ["dec.W_h"]])
    }

    /// The rendered figure has its columns left to right: step 1's box lies left of step
    /// 2's, and so on (read from the SVG that Graphviz wrote).
    func testColumnsRunLeftToRightInTheFigure() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("figurekit-columns-\(getpid())")
        defer { try? FileManager.default.removeItem(at: directory) }
        var g = SeededGenerator(seed: 4)
        let cell = RNNCell<Double>(inputSize: 3, hiddenSize: 4, name: "rnn", using: &g)
        let tape = Tape<Double>()
        let states = cell.unroll(tape.input(.uniform([4, 3], bound: 1, using: &g), name: "x"), steps: 4)
        let rnn = ComputationGraph(tape: tape, output: sum(concatenate(rows: states.map(\.hidden))), title: "rnn")
        for (name, graph) in [("rnn", rnn), ("birnn", bidirectional())] {
            let svg = try String(contentsOf: try GraphvizRenderer.render(graph, to: directory, name: name)[0], encoding: .utf8)
            var lefts: [Int: Double] = [:]
            for match in svg.matches(of: #/<title>cluster_step(\d+)</title>\s*<path[^>]* d="M([\d.]+),/#) {
                lefts[Int(match.output.1)!] = Double(match.output.2)!
            }
            XCTAssertEqual(lefts.count, graph.columns.count, name)
            let ordered = lefts.keys.sorted().map { lefts[$0]! }
            XCTAssertEqual(ordered, ordered.sorted(), "\(name): columns' left edges \(ordered)")
            // and the same bytes every time: the columns written in the order they were made
            let titles = svg.matches(of: #/<title>cluster_step(\d+)</title>/#).map { Int($0.output.1)! }
            XCTAssertEqual(titles, Array(1...graph.columns.count), name)
            for _ in 0..<3 {
                let again = try GraphvizRenderer.render(graph, to: directory, name: name + "-again")
                XCTAssertEqual(try Data(contentsOf: again[0]), svg.data(using: .utf8), name)
            }
        }
    }

    /// → and ← RNNs over three words, their h(t) concatenated per word, summed.
    func bidirectional() -> ComputationGraph {
        var g = SeededGenerator(seed: 5)
        let forward = RNNCell<Double>(inputSize: 2, hiddenSize: 2, name: "fwd", using: &g)
        let backward = RNNCell<Double>(inputSize: 2, hiddenSize: 2, name: "bwd", using: &g)
        let tape = Tape<Double>()
        let x = tape.input(.uniform([3, 2], bound: 1, using: &g), name: "x")
        let right = forward.unroll(x, steps: 3), left = backward.unroll(x, steps: 3, reversed: true)
        let both = zip(right, left).map { concatenate(columns: [$0.hidden, $1.hidden]) }
        return ComputationGraph(tape: tape, output: sum(concatenate(rows: both)), title: "birnn", loops: .stacked)
    }

    func testRenderingIsDeterministicAndMakesSVGAndPNG() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("figurekit-\(getpid())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try GraphvizRenderer.render(smallGraph(), to: directory, name: "a")
        let second = try GraphvizRenderer.render(smallGraph(), to: directory, name: "b")
        for (a, b) in zip(first, second) {
            let da = try Data(contentsOf: a), db = try Data(contentsOf: b)
            XCTAssertEqual(da, db, "\(a.lastPathComponent) differs between two renders")
        }
        let svg = try String(contentsOf: first[0], encoding: .utf8)
        XCTAssertTrue(svg.contains("<svg"))
        XCTAssertTrue(svg.contains("layer.W"))
        let png = try Data(contentsOf: first[1])
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    }
}

/// The nodes (id → first line of the label), drawn edges and clusters (the ids declared
/// in each `cluster_step` subgraph, in order) of a DOT text, read from the text. An edge
/// written `b -> a [dir=back]` is drawn a → b and read so; invisible edges are left out.
struct ParsedDOT {
    var nodes: [String: String] = [:]
    var fill: [String: String] = [:]
    var edges: [(from: String, to: String)] = []
    var clusters: [[String]] = []

    init(_ dot: String) {
        let node = #/\t(n\w+)\t\[((?:[^\]"]|"(?:[^"\\]|\\.)*")*)\]/#  // a ] may stand in a quoted label
        for match in dot.matches(of: node) {
            let attributes = String(match.output.2)
            let label = attributes.firstMatch(of: #/label="([^"\\]*)/#).map { String($0.output.1) } ?? ""
            nodes[String(match.output.1)] = label
            fill[String(match.output.1)] = attributes.firstMatch(of: #/fillcolor=(\w+)/#).map { String($0.output.1) }
        }
        for match in dot.matches(of: #/(n\w+) -> (n\w+)(?:\t\[([^\]]*)\])?;/#) {
            let attributes = match.output.3.map(String.init) ?? ""
            if attributes.contains("invis") { continue }
            let (a, b) = (String(match.output.1), String(match.output.2))
            edges.append(attributes.contains("dir=back") ? (b, a) : (a, b))
        }
        // Clusters: the node ids listed between `subgraph cluster_stepN {` and its `}`
        // (Graphviz writes the subgraphs in its own order, and a node already declared
        // elsewhere by its name alone).
        var byStep: [Int: [String]] = [:]
        var current: Int? = nil
        for line in dot.split(separator: "\n") {
            if let step = line.firstMatch(of: #/^\tsubgraph cluster_step(\d+) \{/#) { current = Int(step.output.1)!; byStep[current!] = []; continue }
            if current != nil, line == "\t}" { current = nil; continue }
            if let step = current, let id = line.firstMatch(of: #/^\t\t(n\w+)(\t\[|;)/#) { byStep[step]!.append(String(id.output.1)) }
        }
        clusters = byStep.keys.sorted().map { byStep[$0]! }
    }

    func names(filled color: String) -> [String] { nodes.filter { fill[$0.key] == color }.map(\.value) }
    func ids(named name: String) -> [String] { nodes.filter { $0.value == name }.map(\.key) }
    func outDegree(of name: String) -> Int { let ids = Set(ids(named: name)); return edges.filter { ids.contains($0.from) }.count }
    func inDegree(of name: String) -> Int { let ids = Set(ids(named: name)); return edges.filter { ids.contains($0.to) }.count }
}

final class LinePlotTests: XCTestCase {
    /// The plot area spans x 70…470 and y 40…365 (SVG y grows downward): the corners of
    /// the data range land on its corners.
    func testPointsLandWhereTheAxesSay() {
        let plot = LinePlot(title: "t", xLabel: "x", yLabel: "y", series: [.init("a", [(1, 1), (2, 3), (3, 5)])])
        let svg = plot.svg()
        XCTAssertTrue(svg.contains("points=\"70.00,365.00 270.00,202.50 470.00,40.00\""), svg)
        XCTAssertEqual(svg, plot.svg())
    }

    func testLogarithmicAxisSpansWholeDecadesAndDropsInfinities() {
        let plot = LinePlot(title: "t", xLabel: "x", yLabel: "y",
                            series: [.init("a", [(2, 10), (3, 100), (4, .infinity)])], logarithmicY: true)
        let svg = plot.svg()
        // y from 10¹ to 10²: 10 at the bottom edge, 100 at the top; the infinite point is left out
        XCTAssertTrue(svg.contains("points=\"70.00,365.00 470.00,40.00\""), svg)
        XCTAssertTrue(svg.contains(">100<"))
    }
}
