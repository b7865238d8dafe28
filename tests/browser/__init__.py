"""Browser tests: the portal served for real and driven by Debian's Chromium (Playwright),
with and without JavaScript, at a 360 px phone width, checked with axe-core."""
