// One spec file for the three, so that they run in one mocha process and share the app it packs
// and installs once (spec/support/consumer-app.ts): parallel mocha gives each spec file to any of its processes.
import './consumer-types'
import './installed'
import './readme'
