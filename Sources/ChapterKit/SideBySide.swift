import Foundation

/// Runs `count` independent pieces of work on every core and returns their results in
/// index order; if any threw, the error of the first (by index) is thrown. For work whose
/// numbers do not depend on which core runs it or what runs beside it, such as separate
/// trainings each with its own seeded generator: the output is then the same as running
/// them one after the other.
public func sideBySide<Value>(_ count: Int, _ work: @Sendable (Int) throws -> Value) throws -> [Value] {
    let results = Slots<Value>(count: count)
    DispatchQueue.concurrentPerform(iterations: count) { i in results.set(i, Result { try work(i) }) }
    return try (0..<count).map { try results.get($0) }
}

/// One result slot per piece of work, each written once.
private final class Slots<Value>: @unchecked Sendable {
    private var slots: [Result<Value, Error>?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ result: Result<Value, Error>) { lock.withLock { slots[i] = result } }
    func get(_ i: Int) throws -> Value { try lock.withLock { slots[i]! }.get() }
}
