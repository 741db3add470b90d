"""Entry point: `pulumi up` in examples/app. Everything happens in `app.build()`."""

import app

app.main()
