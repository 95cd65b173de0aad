"""The Telegram front end (python-telegram-bot).

app.py          the Application: every handler registered, polling or webhook (wiring only)
context.py      what handlers share (BotData) and how they reply (send, edit, say)
engine.py       the retriever, awaited: one wrapper runs every engine call in a worker thread
questions.py    questions, "more", replies within an answer's articles, declining with next steps
commands.py     /start /help /about /sources and polite answers to what the bot cannot read
buttons.py      the answer's navigation: passage numbers, actions, More, Context, Why, sources
follows.py      Follow, /following, Stop, and the change notices
maintainers.py  adds (files, links), fact-check verdicts, /remove
inline.py       inline mode
errors.py       the allow-list gate and the one error handler
render.py       HTML texts (pure);  keyboards.py  buttons and callback data (pure)
state.py        what survives a restart (bot.sqlite);  settings.py  the bot's settings
"""
