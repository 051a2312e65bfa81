// Follows a registry's change feed with the npm `eventsource` client (the WHATWG EventSource for Node.js), as a
// browser or wallet would: it reconnects by itself when the connection drops, sending `Last-Event-ID`. Prints
//   OPEN                       each time a connection opens
//   EVENT <id> <data>          each event received, as received
//   RESULT {"ids": [...], "opens": n}   once `count` events have arrived
// usage: node sse-client.mjs <feed URL> <count>
import './offline.mjs'
import { EventSource } from 'eventsource'

const [url, count] = process.argv.slice(2)
const ids = []
let opens = 0
const source = new EventSource(url)
source.onopen = () => {
  opens += 1
  console.log('OPEN')
}
source.onmessage = (event) => {
  ids.push(event.lastEventId)
  console.log(`EVENT ${event.lastEventId} ${event.data}`)
  if (ids.length >= Number(count)) {
    source.close()
    console.log(`RESULT ${JSON.stringify({ ids, opens })}`)
  }
}
source.onerror = (error) => console.log(`ERROR ${error?.message ?? 'connection lost'}`)
