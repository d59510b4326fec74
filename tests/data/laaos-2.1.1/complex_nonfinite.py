store = {}
store['values']=[(inf+1j), (1+infj), (nan+nanj), infj, -infj, (-inf+nanj), (nan+0j), nanj, (-inf+infj), (2.5-infj)]
store['spectrum']={'peak': (inf+0j), 'floor': (-0-infj)}
store['trace']=[]
store['trace'].append((inf+1j))
store['trace'].append((1+infj))
store['trace'].append((nan+nanj))
store['trace'].append(infj)
