#if !hasFeature(Embedded)
    #if canImport(Glibc)
        import Glibc
    #elseif canImport(Musl)
        import Musl
    #endif

    /// The system calls of durable storage, each retried on EINTR and turned into
    /// `IPPoolError.storage(operation:path:errno:)` naming the call and the file.
    enum StorageFile {
        /// `F_OFD_SETLK` and `F_OFD_SETLKW` (Linux 3.15), which Glibc declares only under _GNU_SOURCE.
        static let ofdSetLock: Int32 = 37
        static let ofdSetLockWait: Int32 = 38

        /// Runs `call` until it does not fail with EINTR; a failure becomes a typed error.
        @inline(__always)
        static func retrying<T: BinaryInteger>(_ operation: StorageOperation, _ path: String, _ call: () -> T)
            throws(IPPoolError) -> T
        {
            while true {
                let result = call()
                if result >= 0 { return result }
                let code = errno
                if code != EINTR {
                    throw IPPoolError.storage(operation: operation, path: path, errno: StorageErrno(rawValue: code))
                }
            }
        }

        /// Opens (creating it 0644 when missing) a file for reading and writing.
        static func open(_ path: String) throws(IPPoolError) -> Int32 {
            try retrying(.open, path) { Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644) }
        }

        /// Opens an existing file read-only, or returns `nil` when it does not exist.
        static func openIfPresent(_ path: String) throws(IPPoolError) -> Int32? {
            while true {
                let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
                if fd >= 0 { return fd }
                let code = errno
                if code == ENOENT { return nil }
                if code != EINTR {
                    throw IPPoolError.storage(operation: .open, path: path, errno: StorageErrno(rawValue: code))
                }
            }
        }

        /// Creates the directory unless it exists.
        static func makeDirectory(_ path: String) throws(IPPoolError) {
            if mkdir(path, 0o755) == 0 { return }
            let code = errno
            var info = stat()
            if code == EEXIST, stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { return }
            throw IPPoolError.storage(
                operation: .makeDirectory, path: path, errno: StorageErrno(rawValue: code == EEXIST ? ENOTDIR : code))
        }

        /// The size of an open file.
        static func size(_ fd: Int32, _ path: String) throws(IPPoolError) -> Int64 {
            var info = stat()
            _ = try retrying(.status, path) { fstat(fd, &info) }
            return Int64(info.st_size)
        }

        /// Reads `count` bytes at `offset`; fewer only at the end of the file.
        static func read(_ fd: Int32, _ path: String, at offset: Int64, count: Int) throws(IPPoolError)
            -> [UInt8]
        {
            var bytes = [UInt8](repeating: 0, count: count)
            var done = 0
            while done < count {
                let got = bytes.withUnsafeMutableBytes { buffer in
                    pread(fd, buffer.baseAddress! + done, count - done, off_t(offset) + off_t(done))
                }
                if got < 0 {
                    if errno == EINTR { continue }
                    throw IPPoolError.storage(operation: .read, path: path, errno: StorageErrno(rawValue: errno))
                }
                if got == 0 { break }
                done += got
            }
            bytes.removeLast(count - done)
            return bytes
        }

        /// Writes all of `bytes` at `offset`.
        static func write(_ fd: Int32, _ path: String, _ bytes: [UInt8], at offset: Int64)
            throws(IPPoolError)
        {
            var done = 0
            while done < bytes.count {
                let wrote = bytes.withUnsafeBytes { buffer in
                    pwrite(fd, buffer.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
                }
                if wrote < 0 {
                    if errno == EINTR { continue }
                    throw IPPoolError.storage(operation: .write, path: path, errno: StorageErrno(rawValue: errno))
                }
                done += wrote
            }
        }

        /// Cuts the file to `length` bytes.
        static func truncate(_ fd: Int32, _ path: String, to length: Int64) throws(IPPoolError) {
            _ = try retrying(.truncate, path) { ftruncate(fd, off_t(length)) }
        }

        /// Flushes the file's data (and its size) to the disk.
        static func sync(_ fd: Int32, _ path: String) throws(IPPoolError) {
            _ = try retrying(.syncData, path) { fdatasync(fd) }
        }

        /// Flushes a directory, so that a file created or renamed in it survives a crash.
        static func syncDirectory(_ path: String) throws(IPPoolError) {
            let fd = try retrying(.open, path) { Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
            defer { close(fd) }
            _ = try retrying(.sync, path) { fsync(fd) }
        }

        /// Renames `from` to `to`, replacing `to` atomically.
        static func rename(_ from: String, to: String) throws(IPPoolError) {
            _ = try retrying(.rename, to) { Glibc.rename(from, to) }
        }

        /// Takes the exclusive lock of the pool (an OFD lock on the whole journal), waiting for
        /// other processes; OFD locks belong to the open file, so two pools opened on one
        /// directory in one process exclude each other too.
        static func lock(_ fd: Int32, _ path: String) throws(IPPoolError) {
            var lock = flock()
            lock.l_type = Int16(F_WRLCK)
            lock.l_whence = Int16(SEEK_SET)
            _ = try retrying(.lock, path) { fcntl(fd, ofdSetLockWait, &lock) }
        }

        /// Releases the lock taken by `lock`.
        static func unlock(_ fd: Int32, _ path: String) {
            var lock = flock()
            lock.l_type = Int16(F_UNLCK)
            lock.l_whence = Int16(SEEK_SET)
            _ = fcntl(fd, ofdSetLock, &lock)
        }

        /// CLOCK_MONOTONIC nanoseconds, for waits.
        static func monotonicNow() -> Int64 {
            var time = timespec()
            clock_gettime(CLOCK_MONOTONIC, &time)
            return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
        }

        /// Now, as CLOCK_REALTIME nanoseconds: the clock all processes of the machine share,
        /// which quarantine deadlines in the journal are written in.
        static func now() -> Int64 {
            var time = timespec()
            clock_gettime(CLOCK_REALTIME, &time)
            return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
        }
    }
#endif
