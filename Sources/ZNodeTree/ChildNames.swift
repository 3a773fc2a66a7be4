/// A node's child names, kept sorted: getChildren answers without sorting (ZooKeeper leaves the
/// order unspecified; sorted is deterministic and what people expect), and lookups are binary
/// searches. Inserting or removing moves the tail, which stays cheap for the thousands of
/// children coordination trees have.
package struct ChildNames: Hashable, Sendable, RandomAccessCollection, ExpressibleByArrayLiteral {
    private var names: [String] = []

    package init() {}

    package init(arrayLiteral elements: String...) {
        self.init(elements)
    }

    package init<S: Sequence>(_ elements: S) where S.Element == String {
        names = Array(elements)
        // Names restored from a checkpoint come in path order, already sorted and unique: check
        // that in one pass instead of hashing and sorting them again.
        var ordered = true
        var index = names.startIndex
        while ordered, index + 1 < names.endIndex {
            ordered = names[index] < names[index + 1]
            index += 1
        }
        if !ordered { names = Array(Set(names)).sorted() }
    }

    package var startIndex: Int { names.startIndex }
    package var endIndex: Int { names.endIndex }
    package subscript(position: Int) -> String { names[position] }

    /// All names, sorted.
    package var sortedNames: [String] { names }

    /// Where `name` is or would go.
    private func position(of name: String) -> (index: Int, found: Bool) {
        var low = 0
        var high = names.count
        while low < high {
            let mid = (low + high) / 2
            if names[mid] < name { low = mid + 1 } else { high = mid }
        }
        return (low, low < names.count && names[low] == name)
    }

    package func contains(_ name: String) -> Bool { position(of: name).found }

    @discardableResult
    package mutating func insert(_ name: String) -> Bool {
        let (index, found) = position(of: name)
        if found { return false }
        names.insert(name, at: index)
        return true
    }

    @discardableResult
    package mutating func remove(_ name: String) -> String? {
        let (index, found) = position(of: name)
        guard found else { return nil }
        return names.remove(at: index)
    }
}
