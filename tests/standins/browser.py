"""A real browser for the UI tests: Debian's headless chromium driven through Debian's chromedriver by
Selenium (nothing downloads a browser build). Performance logging is on, so a test can list every URL the
page requested; helpers sign up, read the model list and chat the way a person does in OpenWebUI."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any, Iterator

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

WAIT_SECONDS = 60


def _binary(env: str, default: str) -> str:
    """`env`, else Debian's path; never a silent skip."""
    path = os.environ.get(env, default)
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path} is missing: run `make chromium` (Debian's chromium and chromium-driver) "
                                f"or set {env}")
    return path


@contextlib.contextmanager
def chromium(profile: Path, *, size: tuple[int, int] = (1280, 800)) -> Iterator[WebDriver]:
    """A headless chromium whose profile (cookies, localStorage: the UI's session token) lives in `profile`."""
    opts = Options()
    opts.binary_location = _binary("CHROMIUM_BIN", "/usr/bin/chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={size[0]},{size[1]}", f"--user-data-dir={profile}",
                "--no-first-run", "--disable-background-networking", "--disable-component-update"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(_binary("CHROMEDRIVER_BIN", "/usr/bin/chromedriver")), options=opts)
    try:
        yield driver
    finally:
        driver.quit()


def requested_urls(driver: WebDriver) -> list[str]:
    """Every URL the page asked for since the last call (Chrome's Network.requestWillBeSent events)."""
    urls = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
    return urls


def wait(driver: WebDriver, until: Any, seconds: float = WAIT_SECONDS) -> Any:
    return WebDriverWait(driver, seconds, poll_frequency=0.3).until(until)


def sign_up_first_admin(driver: WebDriver, base: str, name: str, email: str, password: str) -> None:
    """The first visitor of a new UI creates the admin account (OpenWebUI's welcome page, then its form)."""
    driver.get(f"{base}/auth")
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "button[aria-label='Get started']"))[0].click()
    wait(driver, lambda d: d.find_elements(By.ID, "email"))
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(password)
    button = driver.find_element(By.CSS_SELECTOR, "button[type=submit]")
    assert "Create Admin Account" in button.text, f"not the first-user form: {button.text!r}"
    button.click()
    chat_page(driver)


def sign_in(driver: WebDriver, base: str, email: str, password: str) -> None:
    """An account the admin added signs in (the welcome page is shown only while no account exists)."""
    driver.get(f"{base}/auth")
    wait(driver, lambda d: d.find_elements(By.ID, "email")
         or d.find_elements(By.CSS_SELECTOR, "button[aria-label='Get started']"))
    for button in driver.find_elements(By.CSS_SELECTOR, "button[aria-label='Get started']"):
        button.click()
    wait(driver, lambda d: d.find_elements(By.ID, "email"))
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    chat_page(driver)


def chat_page(driver: WebDriver) -> None:
    """Wait for the chat input and close the release-notes dialog a new account is shown."""
    wait(driver, lambda d: d.find_elements(By.ID, "chat-input"))
    for button in driver.find_elements(By.XPATH, "//button[contains(., \"Okay, Let's Go!\")]"):
        with contextlib.suppress(Exception):
            button.click()


def listed_models(driver: WebDriver) -> list[str]:
    """The names in the model selector's list, as a person sees them."""
    driver.find_element(By.ID, "model-selector-model-button").click()
    options = wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "button[aria-label^='Select '][data-value]"))
    names = [o.get_attribute("data-value") for o in options]
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    return names


def send(driver: WebDriver, text: str, expect: str) -> str:
    """Type `text`, press Enter, wait until `expect` appears in the chat; return the chat's text."""
    box = driver.find_element(By.ID, "chat-input")
    box.click()
    box.send_keys(text)
    box.send_keys(Keys.ENTER)
    wait(driver, lambda d: expect in d.find_element(By.ID, "chat-container").text)
    return driver.find_element(By.ID, "chat-container").text


def token(driver: WebDriver) -> str:
    """The session token the UI keeps in localStorage (a JWT signed with WEBUI_SECRET_KEY)."""
    return driver.execute_script("return localStorage.getItem('token')") or ""
