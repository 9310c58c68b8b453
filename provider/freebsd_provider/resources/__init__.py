"""The provider's resources (one module each)."""
from .zfs_dataset import ZfsDataset

RESOURCES = [ZfsDataset]
