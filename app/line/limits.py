"""LINE's documented limits on what the Messaging API accepts, in one place: the service's
finishing step (app/line/finishing.py) keeps to them, and the emulator (app/line/emulator/) checks
against them with its own code.

Lengths are in UTF-16 code units, as LINE counts them: an emoji outside the Basic Multilingual
Plane counts 2, and every Thai vowel and tone mark counts 1 (`ไม่อยู่ในอำนาจหน้าที่` is 21).
Sizes of Flex containers are bytes of compact UTF-8 JSON.
"""

from __future__ import annotations

# -- a request -------------------------------------------------------------------------------------
MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_MESSAGES = 5  # per reply, push or multicast request
MAX_MULTICAST_TO = 500
RETRY_KEY_TTL_SECONDS = 24 * 3600

# -- messages --------------------------------------------------------------------------------------
MAX_TEXT = 5_000
MAX_FLEX_ALT_TEXT = 1_500
MAX_TEMPLATE_ALT_TEXT = 400
MAX_QUICK_REPLY_ITEMS = 13
MAX_BUBBLE_BYTES = 30 * 1024
MAX_CAROUSEL_BYTES = 50 * 1024
MAX_CAROUSEL_BUBBLES = 12
MAX_IMAGE_URL = 2_000
MAX_LOCATION_TEXT = 100  # a location's title and address

# -- actions ---------------------------------------------------------------------------------------
MAX_QUICK_REPLY_LABEL = 20
MAX_TEMPLATE_LABEL = 20
MAX_IMAGE_CAROUSEL_LABEL = 12  # an image carousel template's column
MAX_FLEX_LABEL = 40  # a Flex button's (and any Flex component's action, where it is not shown)
MAX_DISPLAY_TEXT = 300  # a postback action's `displayText`, shown as what the user said
MAX_MESSAGE_ACTION_TEXT = 300  # what a message action sends as the user
MAX_POSTBACK_DATA = 300
