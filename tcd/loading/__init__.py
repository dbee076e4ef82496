"""Reading inventory/ into validated models; every problem is reported with file, line, field."""

from tcd.loading.inventory import Inventory, load_inventory
from tcd.loading.problems import InventoryError, Problem

__all__ = ["Inventory", "InventoryError", "Problem", "load_inventory"]
