/// The tables of shared pools, created when missing (under an advisory lock, so hosts starting
/// together do not race). The database, not this code, keeps an address from two owners:
/// `PRIMARY KEY (pool, address)` and `UNIQUE (pool, subinstance, resource)`.
enum SharedPoolSchema {
    /// Idempotent DDL, one transaction.
    static let script = """
        BEGIN;
        SET LOCAL client_min_messages = warning;
        SELECT pg_advisory_xact_lock(7716001600);
        CREATE TABLE IF NOT EXISTS ippool_pools (
            name text PRIMARY KEY,
            block_v4 int NOT NULL CHECK (block_v4 BETWEEN 0 AND 32),
            block_v6 int NOT NULL CHECK (block_v6 BETWEEN 0 AND 128),
            quarantine_ms bigint NOT NULL DEFAULT 0 CHECK (quarantine_ms >= 0),
            created timestamptz NOT NULL DEFAULT now());
        CREATE TABLE IF NOT EXISTS ippool_ranges (
            pool text NOT NULL REFERENCES ippool_pools(name) ON DELETE CASCADE,
            cidr cidr NOT NULL,
            seq bigserial,
            PRIMARY KEY (pool, cidr));
        CREATE TABLE IF NOT EXISTS ippool_blocks (
            pool text NOT NULL REFERENCES ippool_pools(name) ON DELETE CASCADE,
            cidr cidr NOT NULL,
            host text NOT NULL,
            lease_until timestamptz NOT NULL,
            PRIMARY KEY (pool, cidr));
        CREATE TABLE IF NOT EXISTS ippool_allocations (
            pool text NOT NULL,
            address inet NOT NULL,
            subinstance text,
            resource text,
            kind text,
            label text,
            host text NOT NULL,
            id bigserial,
            quarantine_until timestamptz,
            PRIMARY KEY (pool, address),
            UNIQUE (pool, subinstance, resource),
            CHECK ((subinstance IS NULL) = (quarantine_until IS NOT NULL)));
        COMMIT;
        """
}

/// Text encodings of values for statement parameters.
enum SQLText {
    /// A PostgreSQL array literal of text elements: `{"a","b\\"c"}`.
    static func array(_ elements: [String]) -> String {
        var out = "{"
        for (index, element) in elements.enumerated() {
            if index > 0 { out += "," }
            out += "\""
            for c in element.unicodeScalars {
                if c == "\"" || c == "\\" { out += "\\" }
                out.unicodeScalars.append(c)
            }
            out += "\""
        }
        return out + "}"
    }

    /// Milliseconds as an interval literal.
    static func interval(_ duration: Duration) -> String {
        String(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
            + " milliseconds"
    }
}
