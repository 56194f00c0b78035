"""Publishing: an article's card on the publisher's channels, with deep links into the bot and
a comment count that follows moderation."""
