import ArgumentParser
import Foundation
import SystemdUnits

/// `--user` or `--system`: which systemd manager the units are for.
struct SystemdScopeOptions: ParsableArguments {
    enum Scope: String, EnumerableFlag {
        case user
        case system

        static func help(for value: Scope) -> ArgumentHelp? {
            switch value {
            case .user: "Units for your user manager (~/.config/systemd/user); the default when not root."
            case .system: "Units for the system manager (/etc/systemd/system); the default as root."
            }
        }
    }

    @Flag var scope: Scope?

    /// The scope asked for, else the one that matches who runs berth.
    var resolved: UnitOptions.Scope {
        switch scope {
        case .user?: .user
        case .system?: .system
        case nil: geteuid() == 0 ? .system : .user
        }
    }
}
