"""Tencent Cloud regions in mainland China, where huggingface.co is unreachable or throttled and
Docker Hub, ghcr.io and registry.k8s.io are slow.

Source: Tencent Cloud docs, "Regions and Availability Zones" (tencentcloud.com/document/product/628/33133,
2025-03-18): China: ap-guangzhou, ap-shanghai, ap-nanjing, ap-beijing, ap-chengdu, ap-chongqing, and
ap-hongkong, which is not in the mainland. The finance zones (ap-shanghai-fsi, ap-shenzhen-fsi,
ap-beijing-fsi) are in the mainland too.
"""

from __future__ import annotations

MAINLAND_CITIES = ("guangzhou", "shanghai", "nanjing", "beijing", "chengdu", "chongqing", "shenzhen")


def in_mainland_china(region: str) -> bool:
    """`ap-<city>[-<suffix>]` with a mainland city (ap-shanghai, ap-shanghai-fsi; not ap-hongkong)."""
    parts = region.split("-")
    return len(parts) >= 2 and parts[0] == "ap" and parts[1] in MAINLAND_CITIES
