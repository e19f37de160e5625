"""Opens Open WebUI's admin Integrations page in headless Chromium as an admin and prints the page's text.

Usage: python integrations-page.py BASE_URL SCREENSHOT_PNG WAIT_FOR_TEXT, with the admin's session token in
OPENWEBUI_TOKEN (kept out of argv). The token goes where the web app keeps it (localStorage.token) before the
page loads; the script waits until WAIT_FOR_TEXT is on the page (any case: the page capitalises names; at most 60 s), saves a screenshot either way,
prints the page's visible text on stdout and exits 0 when the text was found, 1 when not.
"""

import os
import sys

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

base, screenshot, wanted = sys.argv[1].rstrip('/'), sys.argv[2], sys.argv[3]
options = webdriver.ChromeOptions()
options.binary_location = '/usr/bin/chromium'
for flag in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--window-size=1400,1000'):
    options.add_argument(flag)
# The browser console goes to stderr when the text is not found: the web app's own errors say why.
options.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
driver = webdriver.Chrome(service=Service('/usr/bin/chromedriver'), options=options)
ERROR_PAGE = '500: Internal Error'
found = False
try:
    driver.get(f'{base}/auth')
    driver.execute_script('window.localStorage.setItem("token", arguments[0])', os.environ['OPENWEBUI_TOKEN'])
    # A second attempt only when the web app showed its error page (seen once in several runs on a loaded machine,
    # the settings untouched); the first attempt's console goes to stderr.
    for attempt in (1, 2):
        driver.get(f'{base}/?settings=admin:integrations')
        try:
            WebDriverWait(driver, 60).until(
                lambda d: wanted.lower() in d.find_element(By.TAG_NAME, 'body').text.lower() or ERROR_PAGE in d.find_element(By.TAG_NAME, 'body').text
            )
        except TimeoutException:
            break
        found = wanted.lower() in driver.find_element(By.TAG_NAME, 'body').text.lower()
        if found or attempt == 2:
            break
        print(f'attempt {attempt}: the page showed "{ERROR_PAGE}"; browser console:', file=sys.stderr)
        for entry in driver.get_log('browser'):
            print(entry.get('level'), entry.get('message'), file=sys.stderr)
    driver.save_screenshot(screenshot)
    print(driver.find_element(By.TAG_NAME, 'body').text)
    if not found:
        for entry in driver.get_log('browser'):
            print(entry.get('level'), entry.get('message'), file=sys.stderr)
finally:
    driver.quit()
sys.exit(0 if found else 1)
