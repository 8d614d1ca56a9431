#if canImport(Glibc)
import Glibc
#endif
import CSeccomp
import OCISpec
import SystemSupport

/// Berth's default seccomp profile and its compilation to a BPF program through libseccomp.
///
/// The default profile has the effect of containers/common's `seccomp.json` (podman's default):
/// syscalls it does not list fail with ENOSYS, so that programs fall back from new syscalls; the
/// dangerous ones fail with EPERM; a few are allowed only when the container holds the capability
/// that makes them meaningful. Capability conditions are resolved when the profile is generated,
/// as podman does, so config.json carries a plain OCI profile.
public enum SeccompProfile {
    /// Syscalls always allowed.
    static let allowed = """
        _llseek _newselect accept accept4 access adjtimex alarm bind brk capget capset chdir chmod chown chown32
        clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64
        clock_nanosleep clock_nanosleep_time64 clone clone3 close close_range connect copy_file_range creat dup
        dup2 dup3 epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait
        epoll_wait_old eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64
        fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat fchown fchown32 fchownat fcntl fcntl64
        fdatasync fgetxattr flistxattr flock fork fremovexattr fsconfig fsetxattr fsmount fsopen fspick fstat
        fstat64 fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64 futex futex_time64 futimesat
        get_robust_list get_thread_area getcpu getcwd getdents getdents64 getegid getegid32 geteuid geteuid32
        getgid getgid32 getgroups getgroups32 getitimer getpeername getpgid getpgrp getpid getppid getpriority
        getrandom getresgid getresgid32 getresuid getresuid32 getrlimit getrusage getsid getsockname getsockopt
        gettid gettimeofday getuid getuid32 getxattr inotify_add_watch inotify_init inotify_init1
        inotify_rm_watch io_cancel io_destroy io_getevents io_setup io_submit ioctl ioprio_get ioprio_set ipc
        keyctl kill lchown lchown32 lgetxattr link linkat listen listxattr llistxattr lremovexattr lseek
        lsetxattr lstat lstat64 madvise memfd_create mincore mkdir mkdirat mknod mknodat mlock mlock2 mlockall
        mmap mmap2 mount move_mount mprotect mq_getsetattr mq_notify mq_open mq_timedreceive
        mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 mq_unlink mremap msgctl msgget msgrcv msgsnd
        msync munlock munlockall munmap name_to_handle_at nanosleep newfstatat open openat openat2 open_tree
        pause pidfd_getfd pidfd_open pidfd_send_signal pipe pipe2 pivot_root pkey_alloc pkey_free
        pkey_mprotect poll ppoll ppoll_time64 prctl pread64 preadv preadv2 prlimit64 pselect6 pselect6_time64
        pwrite64 pwritev pwritev2 read readahead readdir readlink readlinkat readv reboot recv recvfrom recvmmsg
        recvmmsg_time64 recvmsg remap_file_pages removexattr rename renameat renameat2 restart_syscall rmdir
        rseq rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend
        rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo sched_get_priority_max sched_get_priority_min
        sched_getaffinity sched_getattr sched_getparam sched_getscheduler sched_rr_get_interval
        sched_rr_get_interval_time64 sched_setaffinity sched_setattr sched_setparam sched_setscheduler
        sched_yield seccomp select semctl semget semop semtimedop semtimedop_time64 send sendfile sendfile64
        sendmmsg sendmsg sendto setns set_robust_list set_thread_area set_tid_address setfsgid setfsgid32
        setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setitimer setpgid setpriority setregid
        setregid32 setresgid setresgid32 setresuid setresuid32 setreuid setreuid32 setrlimit setsid setsockopt
        setuid setuid32 setxattr shmat shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4 sigreturn
        socketcall socketpair splice stat stat64 statfs statfs64 statx symlink symlinkat sync sync_file_range
        syncfs sysinfo syslog tee tgkill time timer_create timer_delete timer_getoverrun timer_gettime
        timer_gettime64 timer_settime timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64
        timerfd_settime timerfd_settime64 times tkill truncate truncate64 ugetrlimit umask umount umount2 uname
        unlink unlinkat unshare utime utimensat utimensat_time64 utimes vfork wait4 waitid waitpid write writev
        arch_prctl modify_ldt
        """

    /// Syscalls that always fail with EPERM: obsolete, or able to reach past the container.
    static let denied = """
        bdflush io_pgetevents kexec_file_load kexec_load membarrier migrate_pages move_pages nfsservctl nice
        oldfstat oldlstat oldolduname oldstat olduname pciconfig_iobase pciconfig_read pciconfig_write sgetmask
        ssetmask swapcontext swapoff swapon sysfs uselib userfaultfd ustat vm86 vm86old vmsplice
        """

    /// Syscalls allowed only with a capability, EPERM without it.
    static let byCapability: [(capability: String, syscalls: String)] = [
        ("CAP_DAC_READ_SEARCH", "open_by_handle_at"),
        ("CAP_SYS_ADMIN", "bpf fanotify_init lookup_dcookie perf_event_open quotactl setdomainname sethostname setns"),
        ("CAP_SYS_CHROOT", "chroot"),
        ("CAP_SYS_MODULE", "delete_module init_module finit_module query_module"),
        ("CAP_SYS_NICE", "get_mempolicy mbind set_mempolicy"),
        ("CAP_SYS_PACCT", "acct"),
        ("CAP_SYS_PTRACE", "kcmp process_madvise process_vm_readv process_vm_writev ptrace"),
        ("CAP_SYS_RAWIO", "iopl ioperm"),
        ("CAP_SYS_TIME", "settimeofday stime clock_settime clock_settime64"),
        ("CAP_SYS_TTY_CONFIG", "vhangup"),
    ]

    static func words(_ text: String) -> [String] { text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init) }

    /// The default profile for a container whose bounding set is `capabilities`.
    public static func defaultProfile(capabilities: [String]) -> RuntimeSpec.Seccomp {
        let held = Set(capabilities)
        var allow = words(allowed)
        var deny = words(denied)
        for rule in byCapability {
            if held.contains(rule.capability) { allow += words(rule.syscalls) } else { deny += words(rule.syscalls) }
        }
        // setns is in both podman lists; with CAP_SYS_ADMIN absent the EPERM rule must win.
        if !held.contains("CAP_SYS_ADMIN") { allow.removeAll { $0 == "setns" } }
        var rules = [RuntimeSpec.Seccomp.Syscall(names: allow, action: "SCMP_ACT_ALLOW"),
                     RuntimeSpec.Seccomp.Syscall(names: deny, action: "SCMP_ACT_ERRNO", errnoRet: UInt32(EPERM))]
        // personality: only the harmless personas (Linux, 32-bit Linux, UNAME26, query).
        for persona: UInt64 in [0, 8, 0x20000, 0x20008, 0xffff_ffff] {
            rules.append(.init(names: ["personality"], action: "SCMP_ACT_ALLOW",
                               args: [.init(index: 0, value: persona, op: "SCMP_CMP_EQ")]))
        }
        // socket: audit netlink sockets only with CAP_AUDIT_WRITE (EINVAL otherwise, like podman).
        if held.contains("CAP_AUDIT_WRITE") {
            rules.append(.init(names: ["socket"], action: "SCMP_ACT_ALLOW"))
        } else {
            let netlink: UInt64 = 16, audit: UInt64 = 9
            rules.append(.init(names: ["socket"], action: "SCMP_ACT_ERRNO", errnoRet: UInt32(EINVAL),
                               args: [.init(index: 0, value: netlink, op: "SCMP_CMP_EQ"),
                                      .init(index: 2, value: audit, op: "SCMP_CMP_EQ")]))
            rules.append(.init(names: ["socket"], action: "SCMP_ACT_ALLOW",
                               args: [.init(index: 2, value: audit, op: "SCMP_CMP_NE")]))
            rules.append(.init(names: ["socket"], action: "SCMP_ACT_ALLOW",
                               args: [.init(index: 0, value: netlink, op: "SCMP_CMP_NE")]))
        }
        return RuntimeSpec.Seccomp(defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: UInt32(ENOSYS),
                                   architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
                                   syscalls: rules)
    }

    /// libseccomp's action encodings (seccomp.h defines them as macros Swift cannot import).
    static func action(_ name: String, errno: UInt32?, container: String) throws(RuntimeError) -> UInt32 {
        switch name {
        case "SCMP_ACT_ALLOW": return 0x7fff_0000
        case "SCMP_ACT_ERRNO": return 0x0005_0000 | ((errno ?? UInt32(EPERM)) & 0xffff)
        case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD": return 0
        case "SCMP_ACT_KILL_PROCESS": return 0x8000_0000
        case "SCMP_ACT_TRAP": return 0x0003_0000
        case "SCMP_ACT_LOG": return 0x7ffc_0000
        case "SCMP_ACT_TRACE": return 0x7ff0_0000 | ((errno ?? 0) & 0xffff)
        default: throw RuntimeError(.seccomp, container, "unknown seccomp action \"\(name)\"")
        }
    }

    static func comparison(_ name: String, container: String) throws(RuntimeError) -> scmp_compare {
        let table: [String: UInt32] = ["SCMP_CMP_NE": 1, "SCMP_CMP_LT": 2, "SCMP_CMP_LE": 3, "SCMP_CMP_EQ": 4,
                                       "SCMP_CMP_GE": 5, "SCMP_CMP_GT": 6, "SCMP_CMP_MASKED_EQ": 7]
        guard let value = table[name] else {
            throw RuntimeError(.seccomp, container, "unknown seccomp operator \"\(name)\"")
        }
        return scmp_compare(rawValue: value)
    }

    /// Compiles `profile` for the native architecture to a classic BPF program (an array of
    /// `struct sock_filter`), which berth-init loads with prctl(PR_SET_SECCOMP) just before exec.
    /// Compiling here keeps libseccomp out of the container's address space and the init small.
    /// Syscall names this kernel's architecture does not have are skipped, as podman does.
    public static func compile(_ profile: RuntimeSpec.Seccomp, container: String) throws(RuntimeError) -> [UInt8] {
        let defaultAction = try action(profile.defaultAction, errno: profile.defaultErrnoRet, container: container)
        guard let context = seccomp_init(defaultAction) else {
            throw RuntimeError(.seccomp, container, "seccomp_init failed")
        }
        defer { seccomp_release(context) }
        for rule in profile.syscalls ?? [] {
            let ruleAction = try action(rule.action, errno: rule.errnoRet, container: container)
            if ruleAction == defaultAction { continue } // libseccomp rejects rules equal to the default
            var comparisons: [scmp_arg_cmp] = []
            for arg in rule.args ?? [] {
                comparisons.append(scmp_arg_cmp(arg: arg.index, op: try comparison(arg.op, container: container),
                                                datum_a: arg.value, datum_b: arg.valueTwo ?? 0))
            }
            for name in rule.names {
                let number = seccomp_syscall_resolve_name(name)
                if number < 0 { continue }
                let result = seccomp_rule_add_array(context, ruleAction, number, UInt32(comparisons.count), comparisons)
                if result < 0 && result != -EEXIST {
                    throw RuntimeError(.seccomp, container,
                                       "seccomp rule \(rule.action) for \(name): \(String(cString: strerror(-result)))")
                }
            }
        }
        return try export(context, container: container)
    }

    private static func export(_ context: scmp_filter_ctx, container: String) throws(RuntimeError) -> [UInt8] {
        let fd: Int32
        do { fd = try Files.anonymousFile(stage: "seccomp") } catch {
            throw RuntimeError(.seccomp, container, error.description)
        }
        defer { close(fd) }
        let result = seccomp_export_bpf(context, fd)
        if result < 0 { throw RuntimeError(.seccomp, container, "seccomp_export_bpf: \(String(cString: strerror(-result)))") }
        let size = lseek(fd, 0, SEEK_END)
        var bytes = [UInt8](repeating: 0, count: Int(max(size, 0)))
        let read = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        if read != bytes.count { throw RuntimeError(.seccomp, container, "reading the compiled filter back failed") }
        return bytes
    }
}
