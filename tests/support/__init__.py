"""Test support shared by every layer: throwaway databases and a settable clock."""
