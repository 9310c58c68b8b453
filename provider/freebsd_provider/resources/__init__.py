"""The provider's resources (one module each). Add new resources to RESOURCES."""
from .sysrc import Sysrc
from .zfs_dataset import ZfsDataset

RESOURCES = [
    ZfsDataset,
    Sysrc,
]
