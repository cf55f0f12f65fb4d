# Read by the `flask` command only (python-dotenv). Production sets APP_ENV=production itself.
APP_ENV=development
