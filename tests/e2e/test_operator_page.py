"""The operator page in a real headless browser: Debian's Chromium driven by Selenium.

Why Selenium on Debian's Chromium: Debian builds chromedriver from the same source as the browser,
so the pair always matches, and Selenium's Python package is all the test needs from PyPI (no
browser download, no bundled Node.js driver as Playwright's wheel carries). The set-up installs
both packages when they are missing and the tests run as root (as in CI).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from devtools import browser
from tests.conftest import ROOT
from tests.e2e.conftest import Server
from tests.factories import cap_xml

ARTEFACTS = ROOT / "var" / "test-artefacts"
WAIT = 30  # seconds a page may take to show something (a bound, not an assertion on speed)
# Headless Chromium on a machine whose only network is the package registries: no background
# connections (refused here, and slow to give up on), no sandbox (root in CI), fresh profile.
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,860",
)


@pytest.fixture(scope="module")
def chrome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    if os.environ.get("CI") != "true" and browser.find() is None and os.geteuid() != 0:
        pytest.skip("chromium and chromium-driver are not installed (apt-get install)")
    found = browser.ensure()
    options = webdriver.ChromeOptions()
    options.binary_location = found.browser
    for flag in (*FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=found.driver))
    try:
        yield driver
    finally:
        driver.quit()


def publish(server: Server, body: bytes) -> str:
    response = httpx.post(
        f"{server.url}/v1/channels/cap/messages",
        content=body,
        headers={"content-type": "application/cap+xml", "authorization": f"Bearer {server.key}"},
        timeout=10,
    )
    assert response.status_code == 202, response.text
    return str(response.json()["accepted"][0]["alert_id"])


def listed(driver: webdriver.Chrome) -> set[str]:
    """The listed alert ids, read in one script: the page may redraw its list between a lookup
    of the items and a read of their attributes (a stale element), never inside one script."""
    ids = driver.execute_script(
        "return [...document.querySelectorAll('#alerts li')].map((li) => li.dataset.alertId)"
    )
    return {str(found) for found in ids}


def test_the_page_shows_alerts_and_new_ones_arrive_live(
    server: Server, chrome: webdriver.Chrome
) -> None:
    first = publish(server, cap_xml(f"page-{uuid.uuid4()}", headline="Brand in Rotterdam"))
    hidden = publish(server, cap_xml(f"page-{uuid.uuid4()}", status="Exercise"))
    chrome.get(server.url)
    wait = WebDriverWait(chrome, WAIT)
    wait.until(lambda d: first in listed(d))
    wait.until(lambda d: d.find_element(By.ID, "live").text == "live")
    chrome.execute_script("window.loadedOnce = true")

    second = publish(
        server, cap_xml(f"page-{uuid.uuid4()}", headline="Gaslek in Utrecht", severity="Extreme")
    )
    wait.until(lambda d: second in listed(d))

    assert chrome.execute_script("return window.loadedOnce") is True, "the page was reloaded"
    assert hidden not in listed(chrome), "an Exercise is not for the public"
    text = chrome.find_element(By.ID, "alerts").text
    assert "Brand in Rotterdam" in text
    assert "Gaslek in Utrecht" in text
    shapes = chrome.find_elements(By.CSS_SELECTOR, "#map path.leaflet-interactive")
    assert len(shapes) >= 4, "each alert's polygon and circle is drawn"
    colours = {shape.get_attribute("stroke") for shape in shapes}
    assert {"#e03c31", "#8b0000"} <= colours, "coloured by severity"

    chrome.find_element(By.CSS_SELECTOR, f'#alerts li[data-alert-id="{second}"]').click()
    wait.until(lambda d: d.find_element(By.ID, "timeline").is_displayed())
    wait.until(lambda d: "cap: AlertIssued" in d.find_element(By.ID, "events").text)

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTEFACTS / "operator-page.png"
    assert chrome.save_screenshot(str(screenshot))
    assert screenshot.read_bytes().startswith(b"\x89PNG")


def test_the_channel_filter_narrows_the_list(server: Server, chrome: webdriver.Chrome) -> None:
    alert = publish(server, cap_xml(f"page-{uuid.uuid4()}"))
    chrome.get(server.url)
    wait = WebDriverWait(chrome, WAIT)
    wait.until(lambda d: alert in listed(d))
    chrome.find_element(By.CSS_SELECTOR, '#channel option[value="burgernet"]').click()
    wait.until(lambda d: alert not in listed(d))
    chrome.find_element(By.CSS_SELECTOR, '#channel option[value="cap"]').click()
    wait.until(lambda d: alert in listed(d))


def test_every_asset_the_page_loads_is_served_by_the_hub(client: httpx.Client) -> None:
    html = client.get("/").text
    for asset in (
        "/assets/leaflet/leaflet.js",
        "/assets/leaflet/leaflet.css",
        "/assets/page/page.js",
        "/assets/page/page.css",
    ):
        assert asset in html
        assert client.get(asset).status_code == 200
    assert client.get("/assets/page/netherlands.geojson").json()["type"] == "FeatureCollection"
    assert "http" not in html.replace('lang="en"', "")
