import Foundation

/// A set of named tensors in the safetensors format (Hugging Face), the format of the
/// chapters' checkpoints, so that numpy (`safetensors.numpy.load_file`) and PyTorch read
/// them as they are:
/// ```
/// 8 bytes      N, the header's length, unsigned little-endian
/// N bytes      a JSON object: {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
///              "__metadata__": {"key": "value", ...}}, padded with spaces to a multiple of 8
/// the rest     the tensors' bytes, little-endian, row-major; offsets count from here
/// ```
/// Tensors are written in the order of their names; F32 (Float), F64 (Double) and I64
/// (Int64) are the types written and read here.
public struct SafeTensors: Sendable {
    public enum DType: String, Sendable {
        case f32 = "F32", f64 = "F64", i64 = "I64"
        var size: Int { self == .f32 ? 4 : 8 }
    }

    /// One tensor: its type, shape and little-endian bytes.
    public struct Entry: Sendable, Equatable {
        public var dtype: DType
        public var shape: [Int]
        public var bytes: [UInt8]
    }

    public var entries: [String: Entry] = [:]
    /// Free-form strings (`__metadata__`): the format allows string values only.
    public var metadata: [String: String] = [:]

    public init() {}

    // MARK: - Tensors in and out

    public mutating func set(_ name: String, _ tensor: Tensor<Float>) {
        entries[name] = Entry(dtype: .f32, shape: tensor.shape, bytes: Self.littleEndianBytes(tensor.scalars.map(\.bitPattern)))
    }

    public mutating func set(_ name: String, _ tensor: Tensor<Double>) {
        entries[name] = Entry(dtype: .f64, shape: tensor.shape, bytes: Self.littleEndianBytes(tensor.scalars.map(\.bitPattern)))
    }

    public mutating func set(_ name: String, integers: [Int64], shape: [Int]? = nil) {
        entries[name] = Entry(dtype: .i64, shape: shape ?? [integers.count], bytes: Self.littleEndianBytes(integers.map(UInt64.init(bitPattern:))))
    }

    /// The F32 tensor `name`; an error names the tensor when it is missing or of another type.
    public func floats(_ name: String) throws -> Tensor<Float> {
        let entry = try self.entry(name, .f32)
        return Tensor(shape: entry.shape, scalars: Self.words(entry.bytes, as: UInt32.self).map(Float.init(bitPattern:)))
    }

    public func doubles(_ name: String) throws -> Tensor<Double> {
        let entry = try self.entry(name, .f64)
        return Tensor(shape: entry.shape, scalars: Self.words(entry.bytes, as: UInt64.self).map(Double.init(bitPattern:)))
    }

    public func integers(_ name: String) throws -> [Int64] {
        Self.words(try entry(name, .i64).bytes, as: UInt64.self).map(Int64.init(bitPattern:))
    }

    /// The parameter values under their names (`prefix` + the parameter's name), for
    /// Float or Double parameters.
    public mutating func set<Scalar: TensorScalar>(_ parameters: [Parameter<Scalar>], prefix: String = "") {
        for p in parameters { set(prefix + p.name, p.value) }
    }

    public mutating func set<Scalar: TensorScalar>(_ name: String, _ tensor: Tensor<Scalar>) {
        if let t = tensor as? Tensor<Float> { set(name, t) } else if let t = tensor as? Tensor<Double> { set(name, t) }
    }

    /// The tensor `name` as Float or Double, checked against `shape`.
    public func tensor<Scalar: TensorScalar>(_ name: String, shape: [Int], as: Scalar.Type = Scalar.self) throws -> Tensor<Scalar> {
        let tensor: Tensor<Scalar>
        if Scalar.self == Float.self { tensor = try floats(name) as! Tensor<Scalar> } else { tensor = try doubles(name) as! Tensor<Scalar> }
        guard tensor.shape == shape else {
            throw SafeTensorsError.wrongShape(name: name, expected: shape, found: tensor.shape)
        }
        return tensor
    }

    private func entry(_ name: String, _ dtype: DType) throws -> Entry {
        guard let entry = entries[name] else { throw SafeTensorsError.missing(name: name) }
        guard entry.dtype == dtype else { throw SafeTensorsError.wrongType(name: name, expected: dtype.rawValue, found: entry.dtype.rawValue) }
        return entry
    }

    // MARK: - Bytes

    /// The file's bytes.
    public func encoded() -> Data {
        var header = "{"
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(Self.jsonString($0)):\(Self.jsonString(metadata[$0]!))" }
            fields.append("\"__metadata__\":{" + pairs.joined(separator: ",") + "}")
        }
        var offset = 0
        let names = entries.keys.sorted()
        for name in names {
            let e = entries[name]!
            fields.append("\(Self.jsonString(name)):{\"dtype\":\"\(e.dtype.rawValue)\",\"shape\":[\(e.shape.map(String.init).joined(separator: ","))],"
                          + "\"data_offsets\":[\(offset),\(offset + e.bytes.count)]}")
            offset += e.bytes.count
        }
        header += fields.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        // Padding to a multiple of 8 keeps the tensors' bytes aligned for readers that map the file.
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var data = Data(Self.littleEndianBytes([UInt64(headerBytes.count)]))
        data.append(contentsOf: headerBytes)
        for name in names { data.append(contentsOf: entries[name]!.bytes) }
        return data
    }

    /// Reads the bytes of a safetensors file; `source` names it in errors.
    public init(decoding data: Data, source: String = "safetensors data") throws {
        let bytes = [UInt8](data)
        func malformed(_ reason: String) -> SafeTensorsError { .malformed(source: source, reason: reason) }
        guard bytes.count >= 8 else { throw malformed("shorter than the 8-byte header length") }
        let headerLength = Self.words(Array(bytes[0..<8]), as: UInt64.self)[0]
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw malformed("the header length (\(headerLength) bytes) runs past the end of the file (\(bytes.count) bytes)")
        }
        let body = 8 + Int(headerLength)
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes[8..<body])) as? [String: Any] else {
            throw malformed("the header is not a JSON object")
        }
        for (name, value) in object {
            if name == "__metadata__" {
                guard let pairs = value as? [String: Any] else { throw malformed("__metadata__ is not an object") }
                for (key, text) in pairs {
                    guard let text = text as? String else { throw malformed("metadata \(key) is not a string") }
                    metadata[key] = text
                }
                continue
            }
            guard let fields = value as? [String: Any], let typeName = fields["dtype"] as? String,
                  let shape = (fields["shape"] as? [Any])?.map({ $0 as? Int }), !shape.contains(nil),
                  let offsets = (fields["data_offsets"] as? [Any])?.map({ $0 as? Int }), offsets.count == 2,
                  let begin = offsets[0], let end = offsets[1]
            else { throw malformed("tensor \(name): dtype, shape or data_offsets missing or malformed") }
            guard let dtype = DType(rawValue: typeName) else { throw malformed("tensor \(name): dtype \(typeName) is not F32, F64 or I64") }
            // A damaged or hostile header may hold any numbers: multiply with overflow checks
            // and compare without adding, so that it is an error, never a trap.
            var count = 1, overflow = false
            for dimension in shape.map({ $0! }) {
                guard dimension >= 0 else { throw malformed("tensor \(name): a negative dimension in its shape \(shape.map { $0! })") }
                (count, overflow) = count.multipliedReportingOverflow(by: dimension)
                guard !overflow else { throw malformed("tensor \(name): its shape \(shape.map { $0! }) has too many values") }
            }
            let (size, sizeOverflow) = count.multipliedReportingOverflow(by: dtype.size)
            guard !sizeOverflow, begin >= 0, end >= begin, end <= bytes.count - body, end - begin == size else {
                throw malformed("tensor \(name): data_offsets [\(begin), \(end)] do not hold \(count) values of \(typeName) in the file")
            }
            entries[name] = Entry(dtype: dtype, shape: shape.map { $0! }, bytes: Array(bytes[(body + begin)..<(body + end)]))
        }
    }

    /// Reads a safetensors file.
    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw SafeTensorsError.unreadable(path: url.path, reason: "\(error)") }
        try self.init(decoding: data, source: url.path)
    }

    /// Writes the file atomically (``atomicWrite(_:to:)``): it appears whole or not at all.
    public func write(to url: URL) throws { try atomicWrite(encoded(), to: url) }

    // MARK: - Helpers

    private static func littleEndianBytes<W: FixedWidthInteger>(_ words: [W]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(words.count * W.bitWidth / 8)
        for w in words {
            for k in 0..<(W.bitWidth / 8) { out.append(UInt8(truncatingIfNeeded: w >> (8 * k))) }
        }
        return out
    }

    private static func words<W: FixedWidthInteger>(_ bytes: [UInt8], as: W.Type) -> [W] {
        let size = W.bitWidth / 8
        return stride(from: 0, to: bytes.count, by: size).map { start in
            var w: W = 0
            for k in 0..<size { w |= W(bytes[start + k]) << (8 * k) }
            return w
        }
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    private static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}

public enum SafeTensorsError: Error, CustomStringConvertible {
    case malformed(source: String, reason: String)
    case unreadable(path: String, reason: String)
    case missing(name: String)
    case wrongType(name: String, expected: String, found: String)
    case wrongShape(name: String, expected: [Int], found: [Int])

    public var description: String {
        switch self {
        case .malformed(let source, let reason): return "\(source) is not a valid safetensors file: \(reason)"
        case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
        case .missing(let name): return "the checkpoint holds no tensor \(name)"
        case .wrongType(let name, let expected, let found): return "tensor \(name) is \(found), expected \(expected)"
        case .wrongShape(let name, let expected, let found): return "tensor \(name) has shape \(found), expected \(expected)"
        }
    }
}
