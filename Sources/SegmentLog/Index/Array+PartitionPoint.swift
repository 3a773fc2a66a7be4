extension Array {
    /// Binary search: the index of the first element for which `belongsAfter` holds, given that it
    /// holds for a suffix of the array (`count` when it holds for none). Index entries are sorted,
    /// so every index lookup and truncation is one of these.
    func partitionPoint(where belongsAfter: (Element) -> Bool) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if belongsAfter(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
