import Foundation

/// Printing results: aligned tables for people, JSON for scripts.
enum Output {
    static func json<T: Encodable>(_ value: T) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("null".utf8)
        print(String(decoding: data, as: UTF8.self))
    }

    /// Columns padded to their widest cell.
    static func table(_ header: [String], _ rows: [[String]]) {
        let widths = header.indices.map { column in
            ([header] + rows).map { $0[column].count }.max() ?? 0
        }
        for row in [header] + rows {
            let cells = row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }
            print(cells.joined(separator: "  "))
        }
    }

    static func bindings(_ rows: [BindingRow], json: Bool) {
        if json { return Output.json(rows) }
        let shared = rows.contains { $0.host != nil }
        Output.table(
            ["ADDRESS", "SUBINSTANCE", "RESOURCE", "TYPE"] + (shared ? ["HOST"] : []),
            rows.map { [$0.ip, $0.subinstance, $0.resource, $0.type] + (shared ? [$0.host ?? ""] : []) })
    }
}
