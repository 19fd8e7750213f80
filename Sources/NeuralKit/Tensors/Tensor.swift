/// A dense, row-major array of scalars with a shape.
///
/// ```
/// element (i, j) of a (rows × columns) tensor is scalars[i * columns + j]
/// ```
/// Shapes are checked: an operation given mismatched shapes stops with a message that
/// names both shapes. Copies share storage until one is written (copy on write).
public struct Tensor<Scalar: TensorScalar>: Equatable, Sendable {
    public let shape: [Int]
    public var scalars: [Scalar]

    /// A tensor of the given shape holding `scalars` in row-major order.
    public init(shape: [Int], scalars: [Scalar]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        let count = shape.reduce(1, *)
        precondition(
            count == scalars.count,
            "shape \(shape) holds \(count) scalars, but \(scalars.count) were given")
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor of the given shape with every element equal to `value`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public init(shape: [Int], repeating value: Scalar) {
        self.init(shape: shape, scalars: Array(repeating: value, count: shape.reduce(1, *)))
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 0) }

    /// A scalar (rank-0) tensor.
    public init(_ value: Scalar) { self.init(shape: [], scalars: [value]) }

    /// A vector (rank-1) tensor.
    public init(_ vector: [Scalar]) { self.init(shape: [vector.count], scalars: vector) }

    /// A matrix from its rows; every row must have the same length.
    public init(rows: [[Scalar]]) {
        let columns = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == columns }, "rows of unequal length")
        self.init(shape: [rows.count, columns], scalars: rows.flatMap { $0 })
    }

    public var count: Int { scalars.count }
    public var rank: Int { shape.count }

    /// The number of rows of a matrix (the first dimension; 1 for a vector or scalar).
    public var rows: Int { rank >= 2 ? shape[0] : 1 }
    /// The number of columns of a matrix (the last dimension; 1 for a scalar).
    public var columns: Int { shape.last ?? 1 }

    /// The value of a one-element tensor.
    public var scalar: Scalar {
        precondition(count == 1, "a tensor of shape \(shape) is not a single scalar")
        return scalars[0]
    }

    public subscript(row: Int, column: Int) -> Scalar {
        get { scalars[row * columns + column] }
        set { scalars[row * columns + column] = newValue }
    }

    /// The same scalars under another shape with the same element count.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, scalars: scalars)
    }

    /// Row `i` of a matrix, as a vector.
    public func row(_ i: Int) -> [Scalar] {
        Array(scalars[(i * columns)..<((i + 1) * columns)])
    }

    /// The same values in another scalar type (Float for training, Double for checks).
    public func converted<Other: TensorScalar>(to _: Other.Type = Other.self) -> Tensor<Other> {
        Tensor<Other>(shape: shape, scalars: scalars.map { Other($0) })
    }

    /// The largest absolute value (0 for an empty tensor).
    public var maxAbs: Scalar { scalars.reduce(0) { Swift.max($0, Swift.abs($1)) } }

    /// The Euclidean norm of all elements, accumulated in Double.
    public var norm: Double {
        var sum = 0.0
        for x in scalars { sum += Double(x) * Double(x) }
        return sum.squareRoot()
    }

    /// True when every element is finite (no NaN, no infinity).
    public var isFinite: Bool { scalars.allSatisfy { $0.isFinite } }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        func format(_ x: Scalar) -> String { String(format: "%.4f", Double(x)) }
        switch rank {
        case 0: return format(scalars[0])
        case 1: return "[" + scalars.map(format).joined(separator: ", ") + "]"
        default:
            let lines = (0..<rows).map { "[" + row($0).map(format).joined(separator: ", ") + "]" }
            return "[" + lines.joined(separator: ",\n ") + "]"
        }
    }
}

import Foundation
