extension String {
    /// The string cut or padded to `length` characters, as Foundation's method of the same name
    /// does for a one-character pad (the columns of `status` and `offers`; FoundationEssentials
    /// has no such method, and Foundation is not linked).
    func padding(toLength length: Int, withPad pad: String, startingAt _: Int) -> String {
        count >= length ? String(prefix(length)) : self + String(repeating: pad, count: length - count)
    }
}
