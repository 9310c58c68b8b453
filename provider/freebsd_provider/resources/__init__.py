"""The provider's resources (one module each). Add new resources to RESOURCES."""
from .bridge import Bridge
from .sysrc import Sysrc
from .vnet_jail import VnetJail
from .zfs_dataset import ZfsDataset
from .zfs_snapshot import ZfsSnapshot
from .base_system import BaseSystem
from .kernel_module import KernelModule
from .pf_ruleset import PfRuleset
from .jail_package import JailPackage
from .jail_service import JailService
from .jail_file import JailFile
from .jail_command import JailCommand
from .sysctl import Sysctl
from .jail_user import JailUser

RESOURCES = [
    ZfsDataset,
    Sysrc,
    Bridge,
    VnetJail,
    ZfsSnapshot,
    BaseSystem,
    KernelModule,
    PfRuleset,
    JailPackage,
    JailService,
    JailFile,
    JailCommand,
    Sysctl,
    JailUser,
]
