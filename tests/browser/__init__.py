"""Browser tests: the web pages in Debian's Chromium, driven by Playwright."""
