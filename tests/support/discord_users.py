"""Discord members of the tests: readers, moderators by role and by id, and a forger."""

from __future__ import annotations

from tests.support.discord_harness import User

MOD_ROLE = 777  # DISCORD_MODERATOR_ROLE_IDS in `settings.make_settings`
READER = User(601, "Bo Reader")
OTHER = User(602, "Cy Other")
MODERATOR = User(9999, "Role Mod", roles=(MOD_ROLE, 5))
NOT_A_MODERATOR = User(603, "Eve Forger", roles=(5,))
ID_MODERATOR = User(2001, "Id Mod")  # DISCORD_MODERATOR_IDS in `settings.make_settings`
