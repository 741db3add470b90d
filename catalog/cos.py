"""COS list prices the plan's Billing section uses for the weight mirror.

ASSUMED, not cited: COS's pricing page (https://www.tencentcloud.com/pricing/cos) was not in any stored
corpus searched on 2026-12-07; only the billing formulas were (storage = monthly unit price x GB, requests =
unit price per 10,000; https://intl.cloud.tencent.com/document/product/436/32534, 436/40100). Replace these
with the page's figures for your region; the plan labels them assumed."""

STANDARD_USD_PER_GB_MONTH = 0.024
"""STANDARD storage, USD per GB-month (assumed)."""
REQUESTS_USD_PER_10K = 0.0016
"""STANDARD read/write requests, USD per 10,000 (assumed)."""
