store = {}
store['cfg']={'lr': 0.1, 'color': 'Color.RED'}
store['l']=[1, 2]
store['l'][1] = 5
store['l'].insert(0, 'z')
del store['l'][0]
store['s']={1}
store['s'].add(2)
